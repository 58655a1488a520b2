/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_CONFIG_JSON_H
#define VIREO_VMM_CONFIG_JSON_H

/*
 * struct vm_config as JSON: the schema of `vireo run --config FILE`, of
 * `--print-config` and of "config" in the control API's GET /vm. One
 * writer here; the reader (cli/config_file.c) accepts exactly these keys.
 *
 *   kernel, initrd, cmdline: string (initrd may be null)
 *   cpus: integer; memory: "512M"-style string or integer MiB
 *   console: "serial" | "virtio"; rng: boolean
 *   disks: [{path, read_only, serial}]; nets: [{tap, mac}]
 *   vsock: null | {cid, uds}
 *   transport: string; virtio_transport: {DEV: TRANSPORT}
 *   features: {acpi, dtb, host_quirks, pvh, guest_decompress}: booleans
 *   api_socket: string or null
 */

#include <jansson.h>

#include "vmm/config.h"

/* A new reference; NULL only when out of memory. */
json_t *vm_config_to_json(const struct vm_config *cfg);

/* The name --transport takes ("pci", ...). */
const char *vm_transport_name(enum vm_transport t);

#endif
