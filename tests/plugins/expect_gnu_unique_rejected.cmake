# Runs the plugin check on a library known to hold a GNU-unique symbol and succeeds only if the
# check fails for that reason (so a check that silently passes everything is caught).
execute_process(COMMAND ${CMAKE_COMMAND} -DPLUGIN_FILE=${PLUGIN_FILE} -P ${CHECK_SCRIPT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "the GNU-unique check accepted ${PLUGIN_FILE}")
endif()
if(NOT err MATCHES "GNU-unique")
  message(FATAL_ERROR "the check failed for another reason:\n${err}")
endif()
message(STATUS "rejected as expected:\n${err}")
