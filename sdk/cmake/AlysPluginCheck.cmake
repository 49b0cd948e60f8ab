# Fails when PLUGIN_FILE defines a GNU-unique ('u') symbol: such a symbol makes dlclose a no-op, so
# the plugin could never be unloaded and a reload of the same path would silently run the old code.
find_program(ALYS_NM nm REQUIRED)
execute_process(COMMAND ${ALYS_NM} -C --defined-only "${PLUGIN_FILE}"
  OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${PLUGIN_FILE}")
endif()
string(REGEX MATCHALL "[^\n]* u [^\n]*" unique_symbols "${symbols}")
if(unique_symbols)
  list(JOIN unique_symbols "\n  " listing)
  message(FATAL_ERROR "${PLUGIN_FILE} has GNU-unique symbols; it could never be unloaded:\n  ${listing}\n"
                      "Build it with -fno-gnu-unique (alys_add_plugin does) and avoid static locals in inline code.")
endif()
