# Writes ${OUT} from ${IN} with the current git commit, touching it only when the text changes, so
# a build after a new commit recompiles one small file. Run by the mipp_version target each build.
execute_process(COMMAND git rev-parse --short HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE MIPP_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT MIPP_GIT_COMMIT)
  set(MIPP_GIT_COMMIT "unknown")
endif()
configure_file(${IN} ${OUT} @ONLY)
