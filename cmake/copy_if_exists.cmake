# Copies SRC to DST; warns (instead of failing the build) when SRC is missing,
# e.g. before `npm ci` has run. The player page then says hls.js is missing.
if(EXISTS "${SRC}")
  file(COPY_FILE "${SRC}" "${DST}" ONLY_IF_DIFFERENT)
else()
  message(WARNING "${SRC} not found: run `npm ci` (scripts/install-deps) to get hls.js")
endif()
