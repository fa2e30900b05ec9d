# Writes OUT: a C file holding every *.lua of DIR as
#   const struct hook_source hook_stdlib_sources[] = {{"name", "text"}, ...};
# so the standard library is part of the engine binary, not a path at run time.
file(GLOB files "${DIR}/*.lua")
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND body "static const unsigned char src${i}[] = {${hex}0};\n")
  string(APPEND table "\t{\"${name}\", (const char *)src${i}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUT} "/* generated from stdlib/lua by tools/embed.cmake: do not edit */\n#include \"hooks_stdlib.h\"\n${body}\nconst hook_source hook_stdlib_sources[] = {\n${table}\t{0, 0},\n};\n")
