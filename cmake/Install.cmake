# install(): the library, the header, a CMake package (mistralrs::mistralrs) and mistralrs.pc.
include(CMakePackageConfigHelpers)

install(TARGETS mistralrs EXPORT mistralrsTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mistralrsTargets NAMESPACE mistralrs::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mistralrs)

set(MISTRALRS_CONFIG_STATIC ${MISTRALRS_BUILD_STATIC})
set(MISTRALRS_CONFIG_CUDA ${MISTRALRS_HAS_CUDA})
configure_package_config_file(cmake/mistralrsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mistralrsConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mistralrs)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mistralrsConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mistralrsConfig.cmake ${PROJECT_BINARY_DIR}/mistralrsConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mistralrs)

# pkg-config: a static build must also name what the library itself links.
set(MISTRALRS_PC_LIBS_PRIVATE "-lsentencepiece -lonig -lutf8proc -lspdlog -lfmt -lpthread -lstdc++ -lm")
if(MISTRALRS_HAS_CUDA)
  string(APPEND MISTRALRS_PC_LIBS_PRIVATE " -L${CUDAToolkit_LIBRARY_DIR} -lcublas -lcublasLt -lcudart")
endif()
file(RELATIVE_PATH MISTRALRS_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/mistralrs.pc.in ${PROJECT_BINARY_DIR}/mistralrs.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mistralrs.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
