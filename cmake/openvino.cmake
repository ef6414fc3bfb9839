# OpenVINO backend: build/Release/sam3clip_openvino.node, a Node-API module of its own beside
# sam3clip.node, linked against libopenvino. OpenVINO_DIR (OpenVINOConfig.cmake) comes from
# scripts/build-native.mjs, which fetches the PyPI wheel into .openvino/ (scripts/openvino-runtime.mjs);
# the runtime libraries a consumer needs are copied beside the module, which finds them through
# its RPATH ($ORIGIN), so the prebuild folder is self-contained.
set(SAM3CLIP_WITH_OPENVINO AUTO CACHE STRING "Build the OpenVINO backend (AUTO, ON, OFF)")
set_property(CACHE SAM3CLIP_WITH_OPENVINO PROPERTY STRINGS AUTO ON OFF)

set(SAM3CLIP_HAS_OPENVINO OFF)
if(NOT SAM3CLIP_WITH_OPENVINO STREQUAL "OFF" AND CMAKE_JS_VERSION)
  find_package(OpenVINO QUIET COMPONENTS Runtime)
  if(OpenVINO_FOUND)
    set(SAM3CLIP_HAS_OPENVINO ON)
  elseif(SAM3CLIP_WITH_OPENVINO STREQUAL "ON")
    message(FATAL_ERROR "SAM3CLIP_WITH_OPENVINO=ON but OpenVINO was not found: run node scripts/openvino-runtime.mjs "
                        "or set OpenVINO_DIR to a folder holding OpenVINOConfig.cmake")
  endif()
endif()
message(STATUS "sam3clip: OpenVINO ${SAM3CLIP_HAS_OPENVINO} (${OpenVINO_DIR} ${OpenVINO_VERSION})")
# Read by scripts/prebuildify-cmake-js.mjs: whether the sam3clip_openvino target exists.
set(SAM3CLIP_OPENVINO_BUILT ${SAM3CLIP_HAS_OPENVINO} CACHE INTERNAL "whether sam3clip_openvino is a target")
if(NOT SAM3CLIP_HAS_OPENVINO)
  return()
endif()

add_library(sam3clip_openvino SHARED
  native/addon/openvino_binding.cpp
  native/addon/args.cpp
  native/openvino/compiled_graph.cpp
  native/openvino/runtime.cpp
  ${CMAKE_JS_SRC}
)
set_target_properties(sam3clip_openvino PROPERTIES PREFIX "" SUFFIX ".node"
                      BUILD_RPATH "$ORIGIN" INSTALL_RPATH "$ORIGIN" BUILD_WITH_INSTALL_RPATH ON)
target_include_directories(sam3clip_openvino PRIVATE ${CMAKE_JS_INC} native/openvino native/addon)
target_link_libraries(sam3clip_openvino PRIVATE openvino::runtime ${CMAKE_JS_LIB})
target_compile_definitions(sam3clip_openvino PRIVATE NAPI_VERSION=9 NAPI_CPP_EXCEPTIONS NODE_ADDON_API_DISABLE_DEPRECATED
                           SAM3CLIP_VERSION="${SAM3CLIP_VERSION}")
# OpenVINO's headers throw and use RTTI across the library boundary.
target_compile_options(sam3clip_openvino PRIVATE -fexceptions)

# The runtime beside the module: libopenvino finds its CPU plugin and ONNX frontend in its own
# folder, TBB through its RPATH; the IR frontend reads compiled blobs back (modelCache). Only these (not the GPU/NPU plugins or other frontends) ship.
get_target_property(_ov_lib openvino::runtime IMPORTED_LOCATION_RELEASE)
get_filename_component(_ov_lib_dir "${_ov_lib}" DIRECTORY)
file(GLOB _ov_runtime_files
  "${_ov_lib_dir}/libopenvino.so.[0-9]*"
  "${_ov_lib_dir}/libopenvino_intel_cpu_plugin.so"
  "${_ov_lib_dir}/libopenvino_onnx_frontend.so.[0-9]*"
  "${_ov_lib_dir}/libopenvino_ir_frontend.so.[0-9]*"
  "${_ov_lib_dir}/libtbb.so.[0-9]*"
  "${_ov_lib_dir}/libtbbbind_2_5.so.[0-9]*"
  "${_ov_lib_dir}/libtbbmalloc.so.[0-9]*"
  "${_ov_lib_dir}/libhwloc.so.[0-9]*")
foreach(_f ${_ov_runtime_files})
  add_custom_command(TARGET sam3clip_openvino POST_BUILD
                     COMMAND ${CMAKE_COMMAND} -E copy_if_different "${_f}" "$<TARGET_FILE_DIR:sam3clip_openvino>")
endforeach()
