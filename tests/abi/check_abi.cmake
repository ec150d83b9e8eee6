cmake_minimum_required(VERSION 3.25)
# The ABI check: abidw describes the built libmistralrs.so the way make_baseline.sh
# described the previous release, and abidiff compares the two. Passes only when every
# difference is an addition: no function or variable removed or changed (a changed
# parameter, return or struct layout reached from one), no symbol removed.
#   -DLIB=<libmistralrs.so> -DHEADERS=<include dir> -DBASELINE=<libmistralrs.abi> -DOUT=<scratch .abi>
find_program(ABIDW abidw REQUIRED)
find_program(ABIDIFF abidiff REQUIRED)
execute_process(COMMAND ${ABIDW} --headers-dir ${HEADERS} --drop-private-types --exported-interfaces-only
                        --no-corpus-path --no-show-locs --no-comp-dir-path --out-file ${OUT} ${LIB}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "abidw failed on ${LIB} (${rc}): ${err}")
endif()
execute_process(COMMAND ${ABIDIFF} ${BASELINE} ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE report ERROR_VARIABLE err)
message("${report}")
# abidiff's status is a bit set: 1 error, 2 usage error, 4 ABI change, 8 incompatible change.
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "abidiff did not run: ${rc} ${err}")
endif()
math(EXPR bad "${rc} & 11")
if(NOT bad EQUAL 0)
  message(FATAL_ERROR "abidiff reports an error or an incompatible change (status ${rc}) ${err}")
endif()
# Within "ABI change", only additions are accepted: every "N Removed" and "N Changed" of the
# summaries must be 0.
string(REGEX MATCHALL "[0-9]+ Removed|[0-9]+ Changed" counts "${report}")
foreach(c IN LISTS counts)
  if(NOT c MATCHES "^0 ")
    message(FATAL_ERROR "the ABI changed in more than additions: ${c} (see the report above)")
  endif()
endforeach()
if(rc EQUAL 4 AND counts STREQUAL "")
  message(FATAL_ERROR "abidiff reports a change but no summary to check (status ${rc})")
endif()
message(STATUS "ABI: only additions since the baseline ${BASELINE}")
