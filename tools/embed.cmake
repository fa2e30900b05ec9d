# Writes OUT: a C file holding every file of DIR matching GLOB (default
# *.lua) as
#   const struct hook_source SYMBOL[] = {{"name", "text"}, ..., {0, 0}};
# so the standard library is part of the engine binary, not a path at run
# time.  Names drop the extension unless KEEP_EXT is set.
if(NOT GLOB)
  set(GLOB "*.lua")
endif()
if(NOT SYMBOL)
  set(SYMBOL hook_stdlib_sources)
endif()
# the header declaring struct hook_source {name, text} and SYMBOL
if(NOT HEADER)
  set(HEADER hooks_stdlib.h)
endif()
file(GLOB files "${DIR}/${GLOB}")
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(f ${files})
  if(KEEP_EXT)
    get_filename_component(name ${f} NAME)
  else()
    get_filename_component(name ${f} NAME_WE)
  endif()
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND body "static const unsigned char src${i}[] = {${hex}0};\n")
  string(APPEND table "\t{\"${name}\", (const char *)src${i}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUT} "/* generated from ${DIR} by tools/embed.cmake: do not edit */\n#include \"${HEADER}\"\n${body}\nconst hook_source ${SYMBOL}[] = {\n${table}\t{0, 0},\n};\n")
