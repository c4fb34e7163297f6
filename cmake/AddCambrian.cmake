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
