#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the b2c_report_file action (plugins/action/b2c_report_file.py), which runs on the controller.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_report_file
short_description: Write a report file on the controller, never through a link nor over another user's file
version_added: 1.1.0
description:
  - Writes O(content) to O(path) on the controller, such as the table or JSON of C(playbooks/report.yml), in a way that
    is safe in a folder other users can write to (C(/tmp), a shared CI workspace).
  - The content goes into a new temporary file in the folder of O(path) (created exclusively, never through a link,
    mode C(0600) until it is complete), which is then renamed over O(path). A file already at O(path) is therefore
    replaced, never written into, and a link there is never followed.
  - Refuses, before writing anything, a symbolic link at O(path), anything that is not a regular file, and a file that
    belongs to another user (root included, unless the task runs as root). In a sticky folder such as C(/tmp) the
    system refuses to replace another user's file as well, except for root, which the ownership check covers.
    Links in the folders above O(path) are followed, as the folder is the caller's choice.
  - Changes nothing when the file already holds O(content) with O(mode).
  - Not a member of the C(group/b2c.trustframework.graph) action group, since it does not talk to Microsoft Graph.
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  path:
    description:
      - The file to write. A relative path is relative to the directory C(ansible-playbook) was started from; C(~)
        is expanded.
      - Its folder must exist.
    type: path
    required: true
  content:
    description:
      - The text to write, encoded as UTF-8.
    type: str
    required: true
  mode:
    description:
      - Permission bits of the file, in octal, such as C('0644') (quote it, or YAML may read another number).
    type: raw
    default: "0644"
seealso:
  - module: b2c.trustframework.b2c_keyset_info
  - module: ansible.builtin.copy
    description: Writes files on managed hosts; it follows a link at the destination.
attributes:
  action:
    description: Runs on the controller as an action plugin; the connection of the host is never used.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without writing the file.
    support: full
  diff_mode:
    description: Shows the file's content before and after (not for files larger than 1 MiB).
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
    details:
      - The file is always written on the controller, whatever host the task runs for.
"""

EXAMPLES = r"""
- name: Read every keyset and its active key
  b2c.trustframework.b2c_keyset_info:
  register: b2c_keysets

- name: Keep them as a JSON artifact of the job
  b2c.trustframework.b2c_report_file:
    path: "{{ artifacts_dir }}/keysets.json"
    content: "{{ b2c_keysets.keysets | ansible.builtin.to_nice_json }}"

- name: The kids of the active keys, readable by their owner only
  b2c.trustframework.b2c_report_file:
    path: "{{ artifacts_dir }}/active-kids.txt"
    mode: "0600"
    content: |
      {% for keyset in b2c_keysets.keysets if keyset.active_key %}
      {{ keyset.id }} {{ keyset.active_key.kid }}
      {% endfor %}
"""

RETURN = r"""
path:
  description: The file written (or that would be written in check mode), as an absolute path.
  returned: success
  type: str
  sample: /tmp/b2c-reports/keys.md
mode:
  description: Its permission bits, in octal.
  returned: success
  type: str
  sample: "0644"
"""
