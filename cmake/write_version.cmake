# Writes ${OUT} from ${IN} with the current git commit, touching it only when the text changes, so
# a build after a new commit recompiles one small file. Run by the mipp_version target each build.
# A build from a working tree with uncommitted changes to tracked files says so ("abc1234-dirty"),
# so a manifest never names a commit whose code it did not run.
execute_process(COMMAND git rev-parse --short HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE MIPP_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT MIPP_GIT_COMMIT)
  set(MIPP_GIT_COMMIT "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD --
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  RESULT_VARIABLE MIPP_GIT_DIRTY ERROR_QUIET)
  if(MIPP_GIT_DIRTY EQUAL 1)
    set(MIPP_GIT_COMMIT "${MIPP_GIT_COMMIT}-dirty")
  endif()
endif()
configure_file(${IN} ${OUT} @ONLY)
