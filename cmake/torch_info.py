"""Prints, for CMake (cmake/MippTorch.cmake), where the torch of this interpreter keeps LibTorch.

One `key=value` line each: version, cuda ("" for a CPU build of torch), cxx11_abi, include dirs
(|-separated), library dir and the folder of its CMake package. Importing torch is the check that
the environment works; its error is what CMake shows when it does not.
"""
import os

import torch

root = os.path.dirname(torch.__file__)
include = os.path.join(root, "include")
print("version=" + torch.__version__.split("+")[0])
print("cuda=" + (torch.version.cuda or ""))
print("cxx11_abi=" + str(int(torch._C._GLIBCXX_USE_CXX11_ABI)))
print("include_dirs=" + include + "|" + os.path.join(include, "torch", "csrc", "api", "include"))
print("library_dir=" + os.path.join(root, "lib"))
print("cmake_prefix=" + torch.utils.cmake_prefix_path)
