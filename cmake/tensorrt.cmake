# TensorRT backend. Needs CUDA (SAM3CLIP_HAS_CUDA) and TensorRT's headers; finds the libraries in
# TENSORRT_LIB_DIR, TENSORRT_ROOT (or the environment variable of that name) or the system.
#   libnvinfer + libnvonnxparser → sam3clip_engine_builder (the tool behind `npm run build-engines`)
#   libnvinfer, or else libnvinfer_lean (the lean runtime, which runs version-compatible engines)
#                                  → the addon's TensorRtPipeline
# SAM3CLIP_TENSORRT_COMPILE_ONLY compiles every TensorRT source against the headers without
# linking (scripts/check-tensorrt.sh uses it to check a TensorRT version whose libraries are
# not at hand).
set(TENSORRT_ROOT "$ENV{TENSORRT_ROOT}" CACHE PATH "TensorRT installation (include/ and lib/)")
set(TENSORRT_LIB_DIR "" CACHE PATH "Folder holding libnvinfer*.so (e.g. a tensorrt-cu13-libs wheel)")
option(SAM3CLIP_TENSORRT_COMPILE_ONLY "Compile the TensorRT sources without linking them" OFF)

set(SAM3CLIP_HAS_TENSORRT OFF)
set(SAM3CLIP_TENSORRT_BUILDER OFF)
if(SAM3CLIP_HAS_CUDA AND NOT SAM3CLIP_WITH_TENSORRT STREQUAL "OFF")
  find_path(TENSORRT_INCLUDE_DIR NvInfer.h HINTS ${TENSORRT_ROOT} PATH_SUFFIXES include)
  set(_trt_hints ${TENSORRT_LIB_DIR} ${TENSORRT_ROOT})
  # Wheels ship only versioned names (libnvinfer.so.11), hence the explicit file names.
  find_library(TENSORRT_NVINFER NAMES nvinfer libnvinfer.so.11 libnvinfer.so.10 HINTS ${_trt_hints} PATH_SUFFIXES lib lib64)
  find_library(TENSORRT_NVINFER_LEAN NAMES nvinfer_lean libnvinfer_lean.so.11 libnvinfer_lean.so.10
               HINTS ${_trt_hints} PATH_SUFFIXES lib lib64)
  find_library(TENSORRT_ONNXPARSER NAMES nvonnxparser libnvonnxparser.so.11 libnvonnxparser.so.10
               HINTS ${_trt_hints} PATH_SUFFIXES lib lib64)
  if(TENSORRT_INCLUDE_DIR AND SAM3CLIP_TENSORRT_COMPILE_ONLY)
    set(SAM3CLIP_HAS_TENSORRT ON)
  elseif(TENSORRT_INCLUDE_DIR AND (TENSORRT_NVINFER OR TENSORRT_NVINFER_LEAN))
    set(SAM3CLIP_HAS_TENSORRT ON)
    if(TENSORRT_NVINFER AND TENSORRT_ONNXPARSER)
      set(SAM3CLIP_TENSORRT_BUILDER ON)
    endif()
  endif()
endif()
if(SAM3CLIP_WITH_TENSORRT STREQUAL "ON" AND NOT SAM3CLIP_HAS_TENSORRT)
  message(FATAL_ERROR "SAM3CLIP_WITH_TENSORRT=ON but TensorRT was not found: set TENSORRT_ROOT (include/ and lib/) "
                      "or TENSORRT_INCLUDE_DIR and TENSORRT_LIB_DIR; CUDA found: ${SAM3CLIP_HAS_CUDA}")
endif()
message(STATUS "sam3clip: TensorRT ${SAM3CLIP_HAS_TENSORRT} (headers ${TENSORRT_INCLUDE_DIR}; nvinfer ${TENSORRT_NVINFER}; "
               "nvinfer_lean ${TENSORRT_NVINFER_LEAN}; nvonnxparser ${TENSORRT_ONNXPARSER}; compile only ${SAM3CLIP_TENSORRT_COMPILE_ONLY})")
if(NOT SAM3CLIP_HAS_TENSORRT)
  return()
endif()

set(_trt_runtime_sources native/tensorrt/trt_common.cpp native/tensorrt/engine.cpp native/tensorrt/pipeline.cpp native/tensorrt/image_slots.cpp native/tensorrt/pipeline_base.cpp
                         native/tensorrt/interactive_graphs.cpp
                         native/tensorrt/concept_pipeline.cpp)
set(_trt_builder_sources native/tensorrt/trt_common.cpp native/tensorrt/engine_builder.cpp native/tensorrt/engine_builder_main.cpp)

if(SAM3CLIP_TENSORRT_COMPILE_ONLY)
  add_library(sam3clip_tensorrt_check OBJECT ${_trt_runtime_sources} ${_trt_builder_sources})
  target_include_directories(sam3clip_tensorrt_check SYSTEM PRIVATE ${TENSORRT_INCLUDE_DIR})
  target_include_directories(sam3clip_tensorrt_check PRIVATE native/tensorrt native/core)
  target_link_libraries(sam3clip_tensorrt_check PRIVATE sam3clip_cudart)
  if(CMAKE_JS_VERSION)
    add_library(sam3clip_tensorrt_binding_check OBJECT native/addon/tensorrt_binding.cpp native/addon/capabilities.cpp)
    target_include_directories(sam3clip_tensorrt_binding_check SYSTEM PRIVATE ${CMAKE_JS_INC} ${TENSORRT_INCLUDE_DIR})
    target_include_directories(sam3clip_tensorrt_binding_check PRIVATE native/tensorrt native/core native/addon)
    target_compile_definitions(sam3clip_tensorrt_binding_check PRIVATE NAPI_VERSION=9 NAPI_CPP_EXCEPTIONS
                               NODE_ADDON_API_DISABLE_DEPRECATED SAM3CLIP_HAS_CUDA=1 SAM3CLIP_HAS_TENSORRT=1)
    target_link_libraries(sam3clip_tensorrt_binding_check PRIVATE sam3clip_cudart)
  endif()
  return()
endif()

if(TENSORRT_NVINFER)
  set(_trt_runtime_library ${TENSORRT_NVINFER})
else()
  set(_trt_runtime_library ${TENSORRT_NVINFER_LEAN})
endif()

add_library(sam3clip_tensorrt STATIC ${_trt_runtime_sources})
target_include_directories(sam3clip_tensorrt SYSTEM PUBLIC ${TENSORRT_INCLUDE_DIR})
target_include_directories(sam3clip_tensorrt PUBLIC native/tensorrt)
target_link_libraries(sam3clip_tensorrt PUBLIC sam3clip_core ${_trt_runtime_library})
if(TARGET sam3clip_cuda)
  target_link_libraries(sam3clip_tensorrt PUBLIC sam3clip_cuda)
endif()
target_compile_definitions(sam3clip_tensorrt PUBLIC SAM3CLIP_HAS_TENSORRT=1)
if(NOT TENSORRT_NVINFER)
  target_compile_definitions(sam3clip_tensorrt PUBLIC SAM3CLIP_TENSORRT_LEAN=1)
endif()

if(TARGET sam3clip)
  target_sources(sam3clip PRIVATE native/addon/tensorrt_binding.cpp)
  target_link_libraries(sam3clip PRIVATE sam3clip_tensorrt)
  get_filename_component(_trt_lib_dir ${_trt_runtime_library} DIRECTORY)
  # The wheels' libraries are found at load time without LD_LIBRARY_PATH.
  set_target_properties(sam3clip PROPERTIES BUILD_RPATH "${_trt_lib_dir}" INSTALL_RPATH "${_trt_lib_dir}")
endif()

if(SAM3CLIP_TENSORRT_BUILDER)
  add_executable(sam3clip_engine_builder ${_trt_builder_sources})
  target_include_directories(sam3clip_engine_builder SYSTEM PRIVATE ${TENSORRT_INCLUDE_DIR})
  target_include_directories(sam3clip_engine_builder PRIVATE native/tensorrt native/core)
  target_link_libraries(sam3clip_engine_builder PRIVATE ${TENSORRT_NVINFER} ${TENSORRT_ONNXPARSER} sam3clip_cudart)
  get_filename_component(_trt_lib_dir ${TENSORRT_NVINFER} DIRECTORY)
  set_target_properties(sam3clip_engine_builder PROPERTIES
    BUILD_RPATH "${_trt_lib_dir}"
    RUNTIME_OUTPUT_DIRECTORY "${SAM3CLIP_TOOLS_DIR}"
    RUNTIME_OUTPUT_DIRECTORY_RELEASE "${SAM3CLIP_TOOLS_DIR}")
endif()
