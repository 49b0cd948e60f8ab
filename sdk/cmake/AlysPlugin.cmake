# alys_add_plugin(NAME name SOURCES ... [LIBRARIES ...] [OUTPUT_NAME name] [NO_INSTALL])
#
# Builds an actor plugin the host can load and really unload: hidden visibility, only the two ABI
# symbols exported (alys_plugin.map: nothing else can bind into the plugin), no GNU-unique
# symbols (they pin a library in memory so dlclose does nothing), a post-build check that fails
# the build if one slipped in anyway, the file name `<name>.so`, and an install rule to
# <libdir>/alys/plugins.
include(GNUInstallDirs)
function(alys_add_plugin)
  cmake_parse_arguments(ARG "NO_INSTALL" "NAME;OUTPUT_NAME" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "alys_add_plugin: NAME is required")
  endif()
  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE AlysSDK::sdk ${ARG_LIBRARIES})
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_NAME)
    set_target_properties(${ARG_NAME} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
  # GNU-unique symbols are g++'s; clang never emits them and does not know the flag.
  target_compile_options(${ARG_NAME} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  target_link_options(${ARG_NAME} PRIVATE -Wl,--no-undefined
                      -Wl,--version-script=${ALYS_PLUGIN_VERSION_SCRIPT})
  set_property(TARGET ${ARG_NAME} APPEND PROPERTY LINK_DEPENDS ${ALYS_PLUGIN_VERSION_SCRIPT})
  add_custom_command(TARGET ${ARG_NAME} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DPLUGIN_FILE=$<TARGET_FILE:${ARG_NAME}>
            -P ${ALYS_PLUGIN_CHECK_SCRIPT}
    VERBATIM)
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${ARG_NAME} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/alys/plugins)
  endif()
endfunction()

# alys_add_plugin_library(NAME name SOURCES ... [PUBLIC_LIBRARIES ...] [PRIVATE_LIBRARIES ...])
#
# A static library of code that ends up inside a plugin (a plugin's core logic, kept apart so that
# unit tests link it without loading the plugin): position-independent, hidden visibility and no
# GNU-unique symbols, like the plugin itself, so that it never pins a plugin in memory.
function(alys_add_plugin_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_LIBRARIES;PRIVATE_LIBRARIES" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "alys_add_plugin_library: NAME is required")
  endif()
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  set_target_properties(${ARG_NAME} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # GNU-unique symbols are g++'s; clang never emits them and does not know the flag.
  target_compile_options(${ARG_NAME} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_LIBRARIES} PRIVATE ${ARG_PRIVATE_LIBRARIES})
endfunction()

# alys_add_plugin_test(NAME name SOURCES ... [PLUGINS targets...] [LIBRARIES ...] [TIMEOUT seconds])
#
# A test of plugins in the in-process harness (alys/testing.hpp): an executable `name` built from
# SOURCES, linked to AlysSDK::testing and to LIBRARIES, registered with CTest as the test `name`.
# It stays as framework-neutral as the harness: list your test framework (Catch2::Catch2,
# GTest::gtest_main, ...) in LIBRARIES, or none for a main() of your own. Each target in PLUGINS
# is built before the test, and its file's path reaches the test as the compile definition
# `<TARGET>_PLUGIN_FILE`, a string literal: the target name in upper case, each character other
# than a letter or a digit turned into '_' (block_indexer: BLOCK_INDEXER_PLUGIN_FILE), e.g.
#   harness.add("indexer", BLOCK_INDEXER_PLUGIN_FILE);
# Further settings go on the target as usual (target_include_directories(name ...)).
function(alys_add_plugin_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;PLUGINS;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "alys_add_plugin_test: NAME is required")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "alys_add_plugin_test(${ARG_NAME}): SOURCES is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "alys_add_plugin_test(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE AlysSDK::testing ${ARG_LIBRARIES})
  foreach(plugin IN LISTS ARG_PLUGINS)
    if(NOT TARGET ${plugin})
      message(FATAL_ERROR "alys_add_plugin_test(${ARG_NAME}): PLUGINS names '${plugin}', which is "
                          "not a target (define it with alys_add_plugin first)")
    endif()
    string(TOUPPER "${plugin}" macro)
    string(MAKE_C_IDENTIFIER "${macro}_PLUGIN_FILE" macro)
    target_compile_definitions(${ARG_NAME} PRIVATE "${macro}=\"$<TARGET_FILE:${plugin}>\"")
    add_dependencies(${ARG_NAME} ${plugin})
  endforeach()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  if(ARG_TIMEOUT)
    set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  endif()
endfunction()

set(ALYS_PLUGIN_CHECK_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/AlysPluginCheck.cmake" CACHE INTERNAL "")
set(ALYS_PLUGIN_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/alys_plugin.map" CACHE INTERNAL "")
