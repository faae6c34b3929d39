# lib/symbolize tests: small programs print where their call points are
# (module path, offset, expected lines); symbolize_test runs them and
# symbolizes those frames.

# -O0 keeps every call and statement where the source has it, so __LINE__ is
# the exact expectation; the inline program alone is built with -O2.
set(_symbolize_o0 -O0 -g)

add_library(symbolize_lib SHARED progs/symbolize_lib.c)
target_compile_options(symbolize_lib PRIVATE ${_symbolize_o0})

# symbolize_chain in several builds: PIE, non-PIE, and PIE exporting its
# functions in .dynsym (-rdynamic).
add_executable(symbolize_chain_pie progs/symbolize_chain.c)
target_compile_options(symbolize_chain_pie PRIVATE ${_symbolize_o0} -fPIE)
target_link_options(symbolize_chain_pie PRIVATE -pie -Wl,--build-id)

add_executable(symbolize_chain_nopie progs/symbolize_chain.c)
set_target_properties(symbolize_chain_nopie PROPERTIES POSITION_INDEPENDENT_CODE OFF)
target_compile_options(symbolize_chain_nopie PRIVATE ${_symbolize_o0} -fno-pie)
target_link_options(symbolize_chain_nopie PRIVATE -no-pie)

add_executable(symbolize_chain_exported progs/symbolize_chain.c)
set_target_properties(symbolize_chain_exported PROPERTIES ENABLE_EXPORTS ON)
target_compile_options(symbolize_chain_exported PRIVATE ${_symbolize_o0} -fPIE)
target_link_options(symbolize_chain_exported PRIVATE -pie)

foreach(prog symbolize_chain_pie symbolize_chain_nopie symbolize_chain_exported)
  target_link_libraries(${prog} PRIVATE symbolize_lib ${CMAKE_DL_LIBS})
endforeach()

add_executable(symbolize_inline progs/symbolize_inline.c)
target_compile_options(symbolize_inline PRIVATE -O2 -g)

add_executable(symbolize_cxx progs/symbolize_cxx.cc)
target_compile_options(symbolize_cxx PRIVATE ${_symbolize_o0})
target_link_libraries(symbolize_cxx PRIVATE ${CMAKE_DL_LIBS})

# Stripped copies of the chain program, made the way distributions make them:
#  symbolize_chain_debuglink: debug info moved to
#    symbolize_chain_debuglink.debug, found through .gnu_debuglink;
#  symbolize_chain_stripped: nothing left but .dynsym (the test also finds
#    its debug info by build-id, in a .build-id tree it lays out itself);
#  symbolize_chain_exported_stripped: the same, with the functions exported;
#  symbolize_chain_noaranges: full debug info but no .debug_aranges, as
#    clang emits it by default.
set(_symbolize_dir ${CMAKE_CURRENT_BINARY_DIR}/symbolize_stripped)
set(_symbolize_debug ${_symbolize_dir}/symbolize_chain_debuglink.debug)
if(NOT CMAKE_OBJCOPY)
  message(FATAL_ERROR "symbolize tests need objcopy (binutils)")
endif()
add_custom_command(
  OUTPUT ${_symbolize_debug}
         ${_symbolize_dir}/symbolize_chain_debuglink
         ${_symbolize_dir}/symbolize_chain_stripped
         ${_symbolize_dir}/symbolize_chain_exported_stripped
         ${_symbolize_dir}/symbolize_chain_noaranges
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_symbolize_dir}
  COMMAND ${CMAKE_OBJCOPY} --only-keep-debug $<TARGET_FILE:symbolize_chain_pie> ${_symbolize_debug}
  COMMAND ${CMAKE_OBJCOPY} --strip-debug --add-gnu-debuglink=${_symbolize_debug}
          $<TARGET_FILE:symbolize_chain_pie> ${_symbolize_dir}/symbolize_chain_debuglink
  COMMAND ${CMAKE_OBJCOPY} --strip-all
          $<TARGET_FILE:symbolize_chain_pie> ${_symbolize_dir}/symbolize_chain_stripped
  COMMAND ${CMAKE_OBJCOPY} --strip-all
          $<TARGET_FILE:symbolize_chain_exported>
          ${_symbolize_dir}/symbolize_chain_exported_stripped
  COMMAND ${CMAKE_OBJCOPY} --remove-section=.debug_aranges
          $<TARGET_FILE:symbolize_chain_pie> ${_symbolize_dir}/symbolize_chain_noaranges
  DEPENDS symbolize_chain_pie symbolize_chain_exported
  COMMENT "Stripping the symbolize test programs"
  VERBATIM)
add_custom_target(symbolize_stripped_progs DEPENDS ${_symbolize_debug})

timerbisect_test(symbolize_test
  SOURCES symbolize_test.cc
  LIBS timerbisect_symbolize PkgConfig::LIBDW)
add_dependencies(symbolize_test
  symbolize_chain_pie symbolize_chain_nopie symbolize_chain_exported
  symbolize_inline symbolize_cxx symbolize_stripped_progs)
target_compile_definitions(symbolize_test PRIVATE
  SYMBOLIZE_PROGS_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/progs"
  SYMBOLIZE_CHAIN_PIE="$<TARGET_FILE:symbolize_chain_pie>"
  SYMBOLIZE_CHAIN_NOPIE="$<TARGET_FILE:symbolize_chain_nopie>"
  SYMBOLIZE_CHAIN_EXPORTED="$<TARGET_FILE:symbolize_chain_exported>"
  SYMBOLIZE_INLINE="$<TARGET_FILE:symbolize_inline>"
  SYMBOLIZE_CXX="$<TARGET_FILE:symbolize_cxx>"
  SYMBOLIZE_LIB="$<TARGET_FILE:symbolize_lib>"
  SYMBOLIZE_STRIPPED_DIR="${_symbolize_dir}")
