# Small helpers so every module has the same shape:
#   libs/<name>/include/tane/<name>/*.h   public headers
#   libs/<name>/src/*.cc                  implementation
#   libs/<name>/tests/*_test.cc           tests
set(TANE_WARNINGS -Wall -Wextra -Werror)

# Directories that hold the .proto files we import but do not own. They come
# from Debian packages (golang-github-gogo-googleapis-dev, grpc-proto,
# libprotobuf-dev), never from copies in this tree.
set(TANE_GOOGLEAPIS_PROTO_DIR /usr/share/gocode/src/github.com/gogo/googleapis)
set(TANE_GRPC_PROTO_DIR /usr/share/grpc-proto)
set(TANE_PROTOBUF_PROTO_DIR /usr/include)
set(TANE_PROTO_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${TANE_PROTO_GEN_DIR})

# tane_library(NAME <n> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Creates the static library tane_<n> and its alias tane::<n>.
function(tane_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target tane_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(tane::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_options(${target} PRIVATE ${TANE_WARNINGS})
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# tane_proto_library(NAME <n> ROOT <dir> PROTOS <relative paths> [DEPS ...] [GRPC])
# Generates C++ (and gRPC stubs with GRPC) for PROTOS into the build tree and
# wraps them in their own static library tane_<n>, included as SYSTEM so
# generated code never trips -Werror.
function(tane_proto_library)
  cmake_parse_arguments(ARG "GRPC" "NAME;ROOT" "PROTOS;DEPS" ${ARGN})
  set(srcs)
  set(hdrs)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outs ${TANE_PROTO_GEN_DIR}/${base}.pb.cc ${TANE_PROTO_GEN_DIR}/${base}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outs ${TANE_PROTO_GEN_DIR}/${base}.grpc.pb.cc ${TANE_PROTO_GEN_DIR}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${TANE_PROTO_GEN_DIR}
                      --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc
              --cpp_out=${TANE_PROTO_GEN_DIR} ${plugin_args}
              -I${CMAKE_SOURCE_DIR}/proto -I${TANE_GOOGLEAPIS_PROTO_DIR}
              -I${TANE_GRPC_PROTO_DIR} -I${TANE_PROTOBUF_PROTO_DIR}
              ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto}
      COMMENT "protoc ${proto}"
      VERBATIM)
    foreach(out ${outs})
      if(out MATCHES "\\.cc$")
        list(APPEND srcs ${out})
      endif()
    endforeach()
  endforeach()
  set(target tane_${ARG_NAME})
  add_library(${target} STATIC ${srcs})
  add_library(tane::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} SYSTEM PUBLIC ${TANE_PROTO_GEN_DIR})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()

# tane_test(NAME <n> SOURCES ... [DEPS ...] [LABELS unit|integration|e2e|fault] [TIMEOUT s])
function(tane_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${TANE_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# tane_benchmark(NAME <n> SOURCES ... [DEPS ...]) — built always, run by `make bench`.
function(tane_benchmark)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${TANE_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  set_property(GLOBAL APPEND PROPERTY TANE_BENCHMARKS ${ARG_NAME})
endfunction()
