# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection version, sent in the User-Agent header.

galaxy.yml is the source of truth. Module utils travel to the managed host without galaxy.yml or
MANIFEST.json, so the version is repeated here; tests/unit/test_version.py keeps the two equal.
"""

from __future__ import annotations

COLLECTION_VERSION = "1.1.0"
