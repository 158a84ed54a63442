# version.cmake -- run at every build (cmake -P): writes OUT, a header
# defining ABSIM_VERSION as the project version plus `git describe` of SRC
# when it is a git checkout, and rewrites it only when the text changes,
# so that a rebuild after new commits reports them without reconfiguring
# and an unchanged tree recompiles nothing.
#   -DSRC=source dir -DOUT=header -DPROJECT_VERSION=x.y.z [-DGIT_EXECUTABLE=git]
set(version "${PROJECT_VERSION}")
if(GIT_EXECUTABLE AND EXISTS "${SRC}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty
                  WORKING_DIRECTORY "${SRC}" OUTPUT_VARIABLE described
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(described)
    set(version "${version}+g${described}")
  endif()
endif()
set(text "/* absim_version.h -- written by cmake/version.cmake at build time. */\n#define ABSIM_VERSION \"${version}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
