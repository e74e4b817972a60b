# Finds LibTorch and defines `mipp::torch`, the one target that brings its headers and libraries.
#
# Where LibTorch comes from, in this order:
#   -DTorch_DIR=DIR   a user's own LibTorch (a libtorch archive, another wheel): its TorchConfig.cmake.
#   otherwise         the torch wheel of mipp's Python environment (scripts/install-deps.sh makes it;
#                     -DMIPP_PYTHON=/path/to/python picks another interpreter with torch 2.x).
# From the wheel, two configurations come out of the same sources:
#   MIPP_CUDA=OFF     headers plus libtorch_cpu and libc10, the paths torch.utils.cpp_extension uses
#                     for CPU extensions. Needs no CUDA toolkit: the wheel's own CMake package stops
#                     without one, so it is not used here.
#   MIPP_CUDA=ON      the wheel's CMake package (find_package(Torch)), which links libtorch_cuda and
#                     needs a CUDA toolkit.
#   MIPP_CUDA=AUTO    (the default) ON when torch was built with CUDA and a CUDA toolkit is found.
# Sets: MIPP_PYTHON (the interpreter tests and benchmarks run), MIPP_TORCH_VERSION,
#       MIPP_TORCH_CUDA ("cpu" for a CPU-only build, else the CUDA version linked), MIPP_WITH_CUDA,
#       MIPP_TORCH_LIBRARY_DIR (where libtorch_python.so is, for the Python extension).

set(MIPP_CUDA AUTO CACHE STRING "Link LibTorch's CUDA libraries: ON, OFF or AUTO")
set_property(CACHE MIPP_CUDA PROPERTY STRINGS AUTO ON OFF)
set(MIPP_PYTHON "" CACHE FILEPATH "Python whose torch mipp builds against (default: scripts/python's)")

# Every failure here is one line that says what is wrong and what to do, before any compile starts.
# (NOTICE prints the line as it is; FATAL_ERROR would wrap it.)
function(mipp_torch_fail message)
  message(NOTICE "mipp: ${message}")
  message(FATAL_ERROR "mipp: configuration stopped before any compile (the line above says why)")
endfunction()

# The interpreter: named; under `pip install .`, the one installing (its torch is the user's);
# otherwise the one scripts/python runs.
if(NOT MIPP_PYTHON AND SKBUILD AND Python_EXECUTABLE)
  set(MIPP_PYTHON ${Python_EXECUTABLE} CACHE FILEPATH "Python whose torch mipp builds against" FORCE)
endif()
if(NOT MIPP_PYTHON)
  execute_process(COMMAND ${CMAKE_SOURCE_DIR}/scripts/python -c "import sys; print(sys.executable)"
                  OUTPUT_VARIABLE python_path ERROR_VARIABLE python_error RESULT_VARIABLE python_rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
  if(python_rc EQUAL 0)
    set(MIPP_PYTHON ${python_path} CACHE FILEPATH "Python whose torch mipp builds against" FORCE)
  elseif(NOT Torch_DIR)
    mipp_torch_fail("no Python environment with torch (${python_error}); run scripts/install-deps.sh, or configure with -DMIPP_PYTHON=/path/to/python or -DTorch_DIR=/path/to/libtorch/share/cmake/Torch")
  endif()
endif()

# Torch_DIR is also set by the find_package(Torch) of a CUDA build from the wheel below; only a
# Torch_DIR that the user gave means "a user's own LibTorch".
if(Torch_DIR AND NOT Torch_DIR STREQUAL MIPP_TORCH_DIR_FROM_WHEEL)
  # A user's own LibTorch.
  if(NOT EXISTS ${Torch_DIR}/TorchConfig.cmake)
    mipp_torch_fail("-DTorch_DIR=${Torch_DIR} is not a LibTorch: it has no TorchConfig.cmake; give the folder that holds it (libtorch/share/cmake/Torch)")
  endif()
  find_package(Torch REQUIRED CONFIG)
  if(Torch_VERSION VERSION_LESS 2.0)
    mipp_torch_fail("the LibTorch at ${Torch_DIR} is version ${Torch_VERSION}; mipp needs 2.x")
  endif()
  set(MIPP_TORCH_VERSION ${Torch_VERSION})
  set(MIPP_TORCH_LIBRARY_DIR ${TORCH_INSTALL_PREFIX}/lib)
  if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
    set(MIPP_WITH_CUDA ON)
  else()
    set(MIPP_WITH_CUDA OFF)
  endif()
  add_library(mipp_torch INTERFACE)
  target_link_libraries(mipp_torch INTERFACE ${TORCH_LIBRARIES})
else()
  # Without PYTHONPATH: pip's isolated build environment uses it to hide the installed packages,
  # torch among them.
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=PYTHONPATH ${MIPP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/torch_info.py
                  OUTPUT_VARIABLE torch_info ERROR_VARIABLE torch_error RESULT_VARIABLE torch_rc
                  ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT torch_rc EQUAL 0)
    string(REGEX REPLACE ".*\n" "" torch_error "${torch_error}")  # the exception's own line
    mipp_torch_fail("torch does not import in ${MIPP_PYTHON} (${torch_error}); run scripts/install-deps.sh, or remove a broken environment and run it again")
  endif()
  string(REGEX MATCHALL "[^\n]+" torch_info_lines "${torch_info}")
  foreach(line IN LISTS torch_info_lines)
    string(REGEX MATCH "^([a-z0-9_]+)=(.*)$" _ "${line}")
    set(torch_${CMAKE_MATCH_1} "${CMAKE_MATCH_2}")
  endforeach()
  string(REPLACE "|" ";" torch_include_dirs "${torch_include_dirs}")
  if(torch_version VERSION_LESS 2.0)
    mipp_torch_fail("${MIPP_PYTHON} has torch ${torch_version}; mipp needs torch 2.x: run scripts/install-deps.sh")
  endif()
  set(MIPP_TORCH_VERSION ${torch_version})
  set(MIPP_TORCH_LIBRARY_DIR ${torch_library_dir})

  set(MIPP_WITH_CUDA OFF)
  if(MIPP_CUDA STREQUAL "ON" OR MIPP_CUDA STREQUAL "AUTO")
    if(torch_cuda)
      find_package(CUDAToolkit QUIET)
    endif()
    if(torch_cuda AND CUDAToolkit_FOUND)
      set(MIPP_WITH_CUDA ON)
    elseif(MIPP_CUDA STREQUAL "ON" AND NOT torch_cuda)
      mipp_torch_fail("-DMIPP_CUDA=ON, but the torch ${torch_version} of ${MIPP_PYTHON} is a CPU-only build")
    elseif(MIPP_CUDA STREQUAL "ON")
      mipp_torch_fail("-DMIPP_CUDA=ON, but no CUDA toolkit was found (torch ${torch_version} wants CUDA ${torch_cuda}); install one, set CUDAToolkit_ROOT, or configure with -DMIPP_CUDA=OFF")
    endif()
  elseif(NOT MIPP_CUDA STREQUAL "OFF")
    mipp_torch_fail("-DMIPP_CUDA=${MIPP_CUDA} is not one of ON, OFF, AUTO")
  endif()

  add_library(mipp_torch INTERFACE)
  if(MIPP_WITH_CUDA)
    list(APPEND CMAKE_PREFIX_PATH ${torch_cmake_prefix})
    find_package(Torch REQUIRED CONFIG)
    set(MIPP_TORCH_DIR_FROM_WHEEL ${Torch_DIR} CACHE INTERNAL "Torch_DIR found in the wheel")
    target_link_libraries(mipp_torch INTERFACE ${TORCH_LIBRARIES})
  else()
    target_include_directories(mipp_torch SYSTEM INTERFACE ${torch_include_dirs})
    target_link_libraries(mipp_torch INTERFACE
      ${torch_library_dir}/libtorch_cpu.so ${torch_library_dir}/libc10.so)
    target_compile_definitions(mipp_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${torch_cxx11_abi})
  endif()
endif()

if(MIPP_WITH_CUDA)
  set(MIPP_TORCH_CUDA ${CUDAToolkit_VERSION_MAJOR}.${CUDAToolkit_VERSION_MINOR})
  if(torch_cuda)
    set(MIPP_TORCH_CUDA ${torch_cuda})
  endif()
  target_compile_definitions(mipp_torch INTERFACE MIPP_WITH_CUDA=1)
else()
  set(MIPP_TORCH_CUDA cpu)
endif()
# The wheel's libtorch_cpu.so and libtorch.so export copies of libstdc++'s std::filesystem functions
# that crash when a program calls them (std::filesystem::remove_all jumps to address 0). Naming
# libstdc++ before LibTorch puts it first among a program's needed libraries, so its own
# definitions win the dynamic linker's lookup.
target_link_options(mipp_torch INTERFACE "LINKER:--push-state,--no-as-needed" -lstdc++ "LINKER:--pop-state")
add_library(mipp::torch ALIAS mipp_torch)
if(MIPP_WITH_CUDA)
  message(STATUS "mipp: torch ${MIPP_TORCH_VERSION}, CUDA ${MIPP_TORCH_CUDA} build; Python for tests: ${MIPP_PYTHON}")
else()
  message(STATUS "mipp: torch ${MIPP_TORCH_VERSION}, CPU-only build; Python for tests: ${MIPP_PYTHON}")
endif()
