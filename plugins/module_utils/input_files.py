# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a file an option points at (certificate, PKCS#12 bundle, token, CA bundle): bounded, with an error
naming the option.

A read stops one byte after the limit, so a path to /dev/zero or to a huge (or sparse) file is refused at once
instead of filling the memory.
"""

from __future__ import annotations

import os

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError

MIB = 1024 * 1024
# Tokens, PEM certificates and keys, CA bundles: a few kilobytes each; a bundle of every public CA is ~250 KB.
TEXT_FILE_LIMIT = 1 * MIB
# PKCS#12 bundles: a key, a certificate and its chain, tens of kilobytes.
BUNDLE_FILE_LIMIT = 10 * MIB


def read_input_file(path, option, limit=TEXT_FILE_LIMIT):
    """The bytes of ``path``, or KeyMaterialError naming ``option`` (never the content).

    ``option`` is how the user sets it, such as ``certificate_path`` or
    ``client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)``.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise KeyMaterialError(
            "%s: cannot read %r (%s): %s; a relative path is relative to the module's working "
            "directory (the playbook's directory for localhost)"
            % (option, path, os.path.abspath(path), error.strerror or type(error).__name__)
        ) from None
    check_size(data, path, option, limit)
    return data


def check_size(data, path, option, limit=TEXT_FILE_LIMIT):
    """Refuse ``data`` read from ``path`` when it is longer than ``limit`` bytes."""
    if len(data) > limit:
        raise KeyMaterialError(
            "%s: %r is larger than %d MiB, the most this option reads; point it at the file "
            "itself (not a device or an archive)" % (option, path, limit // MIB)
        )
