"""Security from the ground up (notebook 03): measurement, attestation, envelope encryption, a
local KMS that releases keys only to attested enclaves, and the brute-force lesson.

Everything that protects data here uses the ``cryptography`` package. The numba ChaCha20 in
:mod:`infralab.enclave.chacha` exists only to measure how fast keys can be tried.
"""

from .attestation import (CHECKS, DEFAULT_FRESHNESS, MAX_CABUNDLE, MAX_CERT_BYTES, MAX_DOCUMENT_BYTES,
                          AttestationError, TestPKI, load_document, mint_attestation, parse_cose_sign1,
                          pcr_value, sig_structure, verify_attestation)
from .chacha import chacha20_block, key_with, search_key
from .envelope import Envelope, EnvelopeTampered, envelope_decrypt, envelope_encrypt, new_key, rewrap, unwrap_key, xor_bytes
from .kms import KeyPolicy, KMSAccessDenied, LocalKMS, ToyEnclave
from .measure import measure, measure_image, pcr_extend

__all__ = ["CHECKS", "AttestationError", "TestPKI", "load_document", "mint_attestation", "parse_cose_sign1",
           "sig_structure", "verify_attestation", "pcr_value", "DEFAULT_FRESHNESS", "MAX_CABUNDLE",
           "MAX_CERT_BYTES", "MAX_DOCUMENT_BYTES", "EnvelopeTampered", "chacha20_block", "key_with", "search_key", "Envelope",
           "envelope_decrypt", "envelope_encrypt", "new_key", "rewrap", "unwrap_key", "xor_bytes",
           "KeyPolicy", "KMSAccessDenied", "LocalKMS", "ToyEnclave", "measure", "measure_image", "pcr_extend"]
from .chacha import UNIVERSE_AGE_YEARS, bulk_blocks_per_second, python_search_rate, years_to_search
from .wire import aesgcm_bytes_per_second, cores_for_line_rate

__all__ += ["UNIVERSE_AGE_YEARS", "bulk_blocks_per_second", "python_search_rate", "years_to_search",
            "aesgcm_bytes_per_second", "cores_for_line_rate"]
