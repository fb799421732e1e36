"""Fetchers for public human datasets (pooch, fixed hashes).

Every file of every dataset is listed in the pooch registry file
``neurocompare/datasets/registry.txt`` with its sha256 and its public raw-file
address, pinned to one commit of its source repository. Files are found in this
order:

1. ``data_dir`` (the argument), or else the environment variable
   ``NEUROCOMPARE_DATA_DIR``: a folder holding one subfolder per dataset
   (``<data_dir>/<dataset>/<relative path>``). Nothing is downloaded; a missing
   file is an error that names the path expected.
2. Otherwise the file is downloaded once with :func:`pooch.retrieve` into the
   neurocompare cache (``<cache>/datasets/<dataset>/<relative path>``; the cache is
   ``$NEUROCOMPARE_CACHE_DIR`` or the OS cache folder) and re-used afterwards.

Either way the sha256 of the file is checked. When the download fails, a
:class:`DatasetDownloadError` says which address failed and where to put the
file by hand. What each dataset is, its source, licence and citation are in
its ``description`` (from ``neurocompare/datasets/descr/<dataset>.md``).

Available datasets: ``kriegeskorte92`` (:func:`fetch_kriegeskorte92`), ``geirhos2019``
(:func:`fetch_geirhos2019`), ``salicon_examples`` (:func:`fetch_salicon_examples`) and
``mit1003_i210`` (:func:`fetch_mit1003_i210`).
"""
from ._fetch import ENV_VAR, REGISTRY, DatasetDownloadError, RemoteFile, fetch_files
from ._geirhos2019 import Geirhos2019, fetch_geirhos2019
from ._kriegeskorte92 import Kriegeskorte92, fetch_kriegeskorte92
from ._mit1003 import Mit1003I210, fetch_mit1003_i210
from ._salicon import SaliconExamples, fetch_salicon_examples

__all__ = ["fetch_kriegeskorte92", "Kriegeskorte92", "fetch_geirhos2019", "Geirhos2019", "fetch_files",
           "DatasetDownloadError", "RemoteFile", "REGISTRY", "ENV_VAR",
           "fetch_salicon_examples", "SaliconExamples", "fetch_mit1003_i210", "Mit1003I210"]
