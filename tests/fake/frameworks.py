"""The fake framework modules of the tests: torch, tensorflow and jax as far as gpuenv's checks
look at them. Each is a str.format template taking {version} and {cuda} (None for a CPU build)."""

TORCH = '''import os
__version__ = "{version}"
_CUDA = {cuda!r}
class version:
    cuda = {cuda!r}
class _Cudnn:
    @staticmethod
    def is_available():
        return _CUDA is not None
    @staticmethod
    def version():
        return 90100
class backends:
    cudnn = _Cudnn
class _T:
    def __init__(self, n, v):
        self.n, self.v = n, v
    def __matmul__(self, o):
        return _T(self.n, self.v * o.v * self.n)
    def sum(self):
        return _T(1, self.v * self.n * self.n)
    def item(self):
        return self.v
def ones(*shape, device=None):
    return _T(shape[0], 1.0)
class cuda:
    @staticmethod
    def is_available():
        return os.environ.get("FAKE_GPU") == "1"
    @staticmethod
    def get_device_name(i):
        return "Fake GPU"
'''

TENSORFLOW = '''__version__ = "{version}"
_CUDA = {cuda!r}
class sysconfig:
    @staticmethod
    def get_build_info():
        return {{"cuda_version": "12.2", "cudnn_version": "8"}} if _CUDA is not None else {{}}
class test:
    @staticmethod
    def is_built_with_cuda():
        return _CUDA is not None
class config:
    @staticmethod
    def list_physical_devices(kind):
        return []
'''

JAX = '''__version__ = "{version}"
class _Dev:
    platform = "cpu"
    device_kind = "cpu"
def devices():
    return [_Dev()]
'''

PLAIN = '__version__ = "{version}"\n'
