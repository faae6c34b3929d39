# `cmake --install` into a temporary prefix, used as a user would use it.
add_test(NAME install_tree
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install_test.sh ${CMAKE_COMMAND}
                 ${CMAKE_BINARY_DIR} $<TARGET_FILE:watchdog_spurious>)
