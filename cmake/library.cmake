# library.cmake -- the libraries a user links, and `cmake --install`.
#
# The internal static target(s) named in OT_LIB_TARGETS (today `onetrip`;
# after the layer split, every layer) stay what the unit tests, tools and
# benchmarks link: they may use any internal function.  From the same
# objects this file makes what is installed:
#
#   build/lib/libonetrip.so.X.Y.Z  SONAME libonetrip.so.MAJOR; exports only
#                                  what onetrip.h marks OT_API
#   build/lib/libonetrip.a         one relocatable object whose internal
#                                  names are local, so they cannot clash
#                                  with a host program's
#
# Both rest on the objects being compiled with -fvisibility=hidden (and
# -fPIC, for the shared library): OT_API is then the only way out.  Hidden
# symbols still link between the objects of the internal archive, so the
# tests are unaffected, and with hidden visibility -fPIC costs next to
# nothing on x86-64 (no PLT or GOT for internal calls).

if(NOT OT_LIB_TARGETS)
  message(FATAL_ERROR "set OT_LIB_TARGETS to the internal library target(s) first")
endif()
set_target_properties(${OT_LIB_TARGETS} PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  C_VISIBILITY_PRESET hidden)
# ot_version() and ot_version_number(): the public API layer's
list(GET OT_LIB_TARGETS -1 OT_API_TARGET)
target_sources(${OT_API_TARGET} PRIVATE ${CMAKE_SOURCE_DIR}/engine/version.c)

# What the library needs, as pkg-config modules: linked into the shared
# library, and Requires.private of onetrip.pc.
# not libpq: it is loaded when a PostgreSQL store is opened (store_pg_lib.h)
set(OT_LIB_REQUIRES lua5.4 sqlite3 jansson libmd)
set(OT_LIB_DEPS PkgConfig::LUA PkgConfig::SQLITE PkgConfig::JANSSON PkgConfig::LIBMD ${CMAKE_DL_LIBS})

set(OT_LIB_OBJECTS)
foreach(t ${OT_LIB_TARGETS})
  list(APPEND OT_LIB_OBJECTS $<TARGET_OBJECTS:${t}>)
endforeach()
set(OT_LIB_DIR ${CMAKE_BINARY_DIR}/lib)

# ---- libonetrip.so
add_library(onetrip_shared SHARED ${OT_LIB_OBJECTS})
set_target_properties(onetrip_shared PROPERTIES
  OUTPUT_NAME onetrip
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LIBRARY_OUTPUT_DIRECTORY ${OT_LIB_DIR})
target_link_libraries(onetrip_shared PRIVATE ${OT_LIB_DEPS})
# Every symbol resolved at link time, so a missing dependency fails here
# rather than in the user's program.  Not under the sanitizers: their
# runtime is linked into the executable, not into a library.
if(NOT OT_SANITIZE AND NOT OT_FUZZ)
  target_link_options(onetrip_shared PRIVATE LINKER:--no-undefined)
endif()

# ---- libonetrip.a
# `ld -r` joins the objects into one, resolving the internal references
# between them; `objcopy --localize-hidden` then turns every hidden (not
# OT_API) symbol into a local one, as `static` would have.
set(OT_LIB_STATIC ${OT_LIB_DIR}/libonetrip.a)
add_custom_command(
  OUTPUT ${OT_LIB_STATIC}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${OT_LIB_DIR}
  COMMAND ${CMAKE_LINKER} -r -o ${OT_LIB_DIR}/onetrip-all.o ${OT_LIB_OBJECTS}
  COMMAND ${CMAKE_OBJCOPY} --localize-hidden ${OT_LIB_DIR}/onetrip-all.o
  COMMAND ${CMAKE_COMMAND} -E rm -f ${OT_LIB_STATIC}
  COMMAND ${CMAKE_AR} rcs ${OT_LIB_STATIC} ${OT_LIB_DIR}/onetrip-all.o
  COMMAND ${CMAKE_COMMAND} -E rm -f ${OT_LIB_DIR}/onetrip-all.o
  # the objects themselves: an object library as a target alone does not
  # make the archive older than a recompiled object
  DEPENDS ${OT_LIB_TARGETS} ${OT_LIB_OBJECTS}
  COMMAND_EXPAND_LISTS VERBATIM
  COMMENT "libonetrip.a: one object, internal names local")
add_custom_target(onetrip_static ALL DEPENDS ${OT_LIB_STATIC})

# ---- install
include(GNUInstallDirs)
install(TARGETS onetrip-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS onetrip_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${OT_LIB_STATIC} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/engine/onetrip.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/stdlib/ DESTINATION ${CMAKE_INSTALL_DATADIR}/onetrip/stdlib)

# onetrip.pc names the prefix installed into, which `cmake --install
# --prefix` chooses only then: the file is written at install time, from a
# template with everything else filled in now.
set(OT_PC_PREFIX "@OT_PC_PREFIX@")
string(REPLACE ";" " " OT_PC_REQUIRES "${OT_LIB_REQUIRES}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/onetrip.pc.in ${CMAKE_BINARY_DIR}/onetrip.pc.in @ONLY)
install(CODE "
  set(OT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/onetrip.pc.in\" \"${CMAKE_BINARY_DIR}/onetrip.pc\" @ONLY)
  file(INSTALL \"${CMAKE_BINARY_DIR}/onetrip.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
")
