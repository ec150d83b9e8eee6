cmake_minimum_required(VERSION 3.25)
# Runs the layout printer and compares its output with the committed golden table; also
# checks that every struct the header defines (typedef struct NAME {) has a line there,
# so a new public struct cannot be left out of the table.
#   -DPRINTER=<struct_layout executable> -DHEADER=<mistralrs.h> -DTABLE=<struct_layout.txt>
execute_process(COMMAND ${PRINTER} OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PRINTER} failed")
endif()
file(READ ${TABLE} table)
# The golden table is for LP64 (64-bit Linux/macOS); its comment lines start with '#'.
string(REGEX REPLACE "#[^\n]*\n" "" expected "${table}")
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "struct layout differs from ${TABLE}\n--- expected\n${expected}--- actual\n${actual}")
endif()
file(READ ${HEADER} header)
string(REGEX MATCHALL "typedef struct [a-z0-9_]+ {" defs "${header}")
foreach(d IN LISTS defs)
  string(REGEX REPLACE "typedef struct ([a-z0-9_]+) {" "\\1" name "${d}")
  if(NOT expected MATCHES "(^|\n)${name} sizeof ")
    message(FATAL_ERROR "the public struct ${name} is not in ${TABLE}")
  endif()
endforeach()
list(LENGTH defs n)
message(STATUS "${n} public struct(s): layout matches ${TABLE}")
