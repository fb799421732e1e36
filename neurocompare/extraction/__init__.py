"""Layer activations: ``extract`` (hooks -> xarray DataTree, streaming to zarr), reductions, I/O."""
from ._access import get_layer, iter_layers, to_frame
from ._extract import extract
from ._pixels import pixels
from ._reduce import REDUCTIONS, parse_reduce
from ._store import open_tree as load
from ._store import save_tree as save

__all__ = ["extract", "pixels", "load", "save", "get_layer", "iter_layers", "to_frame", "parse_reduce", "REDUCTIONS"]
