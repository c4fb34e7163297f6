# One-line helpers for Cambrian's libraries, tools and tests (CIRCT-style).

# add_cambrian_library(name srcs... [DEPENDS targets...] [LINK_LIBS libs...]
#                      [MLIR_LIBS mlir-libs...] [LINK_COMPONENTS llvm-components...])
# A library of the compiler. MLIR libraries go through mlir_target_link_libraries
# so that they resolve to libMLIR.so.
function(add_cambrian_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS;MLIR_LIBS;LINK_COMPONENTS"
                        ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DEPENDS ${ARG_DEPENDS}
    LINK_COMPONENTS ${ARG_LINK_COMPONENTS}
    LINK_LIBS PUBLIC ${ARG_LINK_LIBS})
  if(ARG_MLIR_LIBS)
    mlir_target_link_libraries(${name} PUBLIC ${ARG_MLIR_LIBS})
  endif()
  set_property(GLOBAL APPEND PROPERTY CAMBRIAN_LIBS ${name})
endfunction()

# add_cambrian_tool(name srcs... [LINK_LIBS libs...] [MLIR_LIBS mlir-libs...])
function(add_cambrian_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS;MLIR_LIBS" ${ARGN})
  add_llvm_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  llvm_update_compile_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  if(ARG_MLIR_LIBS)
    mlir_target_link_libraries(${name} PRIVATE ${ARG_MLIR_LIBS})
  endif()
endfunction()

#===------------------------------------------------------------------------===#
# The run half: plain C++17 and libc, no MLIR, no LLVM.
#===------------------------------------------------------------------------===#

# Only Cambrian's own headers are visible to the run half, so that including
# an MLIR or LLVM header there fails to compile.
function(_cambrian_runtime_only name)
  set_property(TARGET ${name} PROPERTY INCLUDE_DIRECTORIES
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include
    ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON)
endfunction()

# add_cambrian_runtime_library(name [SHARED] srcs... [LINK_LIBS libs...])
# A library of the run half (lib/Runtime, a target's loader); it may link
# other run-half libraries and system libraries only. Static by default;
# SHARED makes a .so that exports only what its sources mark visible.
function(add_cambrian_runtime_library name)
  cmake_parse_arguments(ARG "SHARED" "" "LINK_LIBS" ${ARGN})
  if(ARG_SHARED)
    add_library(${name} SHARED ${ARG_UNPARSED_ARGUMENTS})
    set_target_properties(${name} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib
      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    # The static run-half libraries inside stay private to the .so.
    target_link_options(${name} PRIVATE "LINKER:--exclude-libs,ALL")
    target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  else()
    add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
    # libcambrian.so links the run half too.
    set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON
      ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
    target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
  endif()
  _cambrian_runtime_only(${name})
endfunction()

# add_cambrian_runtime_tool(name srcs... [LINK_LIBS libs...])
# A tool of the run half (cambrian-run): `ldd` shows no libMLIR or libLLVM.
function(add_cambrian_runtime_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  _cambrian_runtime_only(${name})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${LLVM_RUNTIME_OUTPUT_INTDIR})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
endfunction()

#===------------------------------------------------------------------------===#
# Targets: one line each.
#===------------------------------------------------------------------------===#

# cambrian_add_target(name [DIRECTORY dir])
# Adds the target `name` built in `dir` (default: `name`, relative to the
# current folder). That folder's CMakeLists.txt builds the target's
# libraries and names them with cambrian_target_libraries(); the tools and
# libcambrian get every target through the generated registration sources
# (cambrian_generate_target_registry). This is the only line outside the
# target's folder that a new target adds.
function(cambrian_add_target name)
  cmake_parse_arguments(ARG "" "DIRECTORY" "" ${ARGN})
  if(NOT ARG_DIRECTORY)
    set(ARG_DIRECTORY ${name})
  endif()
  get_property(targets GLOBAL PROPERTY CAMBRIAN_TARGETS)
  if(name IN_LIST targets)
    message(FATAL_ERROR "cambrian_add_target: target '${name}' added twice")
  endif()
  set_property(GLOBAL APPEND PROPERTY CAMBRIAN_TARGETS ${name})
  add_subdirectory(${ARG_DIRECTORY})
  get_property(compiler GLOBAL PROPERTY CAMBRIAN_TARGET_${name}_COMPILER)
  if(NOT compiler)
    message(FATAL_ERROR "cambrian_add_target: ${ARG_DIRECTORY}/CMakeLists.txt "
      "does not call cambrian_target_libraries(${name} ...)")
  endif()
endfunction()

# cambrian_target_libraries(name COMPILER lib register-function
#                                LOADER lib register-function)
# Called by a target's own CMakeLists.txt: the compile-side library (MLIR)
# and the function that adds its cambrian::Target to the TargetRegistry,
# and the run-side library (add_cambrian_runtime_library) and the function
# that adds its cambrian::ModuleLoader to the LoaderRegistry. Functions are
# fully qualified, e.g. cambrian::x86::registerX86Target; each takes no
# arguments and returns void.
function(cambrian_target_libraries name)
  cmake_parse_arguments(ARG "" "" "COMPILER;LOADER" ${ARGN})
  foreach(side COMPILER LOADER)
    list(LENGTH ARG_${side} n)
    if(NOT n EQUAL 2)
      message(FATAL_ERROR "cambrian_target_libraries(${name}): ${side} "
        "expects a library and a registration function")
    endif()
    set_property(GLOBAL PROPERTY CAMBRIAN_TARGET_${name}_${side} ${ARG_${side}})
  endforeach()
endfunction()

# Appends to `decls` a declaration of the qualified function `fn` and to
# `calls` a call of it.
function(_cambrian_registration fn decls calls)
  if(NOT fn MATCHES "^(.+)::([A-Za-z_][A-Za-z0-9_]*)$")
    message(FATAL_ERROR "registration function '${fn}' is not qualified "
      "with a namespace")
  endif()
  set(${decls} "${${decls}}namespace ${CMAKE_MATCH_1} {\nvoid ${CMAKE_MATCH_2}();\n} // namespace ${CMAKE_MATCH_1}\n" PARENT_SCOPE)
  set(${calls} "${${calls}}    ${fn}();\n" PARENT_SCOPE)
endfunction()

# cambrian_generate_target_registry()
# After every cambrian_add_target: generates RegisterTargets.cpp and
# RegisterLoaders.cpp from targets/*.cpp.in and builds them as
# CambrianTargets (all compile sides) and CambrianLoaders (all run sides).
function(cambrian_generate_target_registry)
  get_property(targets GLOBAL PROPERTY CAMBRIAN_TARGETS)
  foreach(side COMPILER LOADER)
    set(${side}_DECLS "")
    set(${side}_CALLS "")
    set(${side}_LIBS "")
  endforeach()
  foreach(t ${targets})
    foreach(side COMPILER LOADER)
      get_property(spec GLOBAL PROPERTY CAMBRIAN_TARGET_${t}_${side})
      list(GET spec 0 lib)
      list(GET spec 1 fn)
      list(APPEND ${side}_LIBS ${lib})
      _cambrian_registration(${fn} ${side}_DECLS ${side}_CALLS)
    endforeach()
  endforeach()
  string(REPLACE ";" ", " CAMBRIAN_TARGET_LIST "${targets}")
  set(CAMBRIAN_REGISTER_DECLS "${COMPILER_DECLS}")
  set(CAMBRIAN_REGISTER_CALLS "${COMPILER_CALLS}")
  configure_file(${PROJECT_SOURCE_DIR}/targets/RegisterTargets.cpp.in
                 ${PROJECT_BINARY_DIR}/targets/RegisterTargets.cpp @ONLY)
  set(CAMBRIAN_REGISTER_DECLS "${LOADER_DECLS}")
  set(CAMBRIAN_REGISTER_CALLS "${LOADER_CALLS}")
  configure_file(${PROJECT_SOURCE_DIR}/targets/RegisterLoaders.cpp.in
                 ${PROJECT_BINARY_DIR}/targets/RegisterLoaders.cpp @ONLY)

  add_cambrian_library(CambrianTargets
    ${PROJECT_BINARY_DIR}/targets/RegisterTargets.cpp
    LINK_LIBS CambrianPipeline ${COMPILER_LIBS})
  add_cambrian_runtime_library(CambrianLoaders
    ${PROJECT_BINARY_DIR}/targets/RegisterLoaders.cpp
    LINK_LIBS CambrianRuntime ${LOADER_LIBS})
  message(STATUS "Cambrian targets: ${CAMBRIAN_TARGET_LIST}")
endfunction()
