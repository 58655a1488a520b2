/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_ACPI_AML_H
#define VIREO_VMM_ACPI_AML_H

/*
 * A small emitter for the AML vireo's DSDT needs (ACPI 6.4, chapter 20):
 * names, integers, strings, packages, buffers, scopes and devices, plus
 * resource-template descriptors (chapter 6.4). Bytes go into a growable
 * buffer; an allocation failure sticks in ->oom and is reported once by
 * the caller. Package lengths are back-patched by aml_close().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
	size_t open[AML_MAX_DEPTH]; /* body start of each open PkgLength */
	unsigned int depth;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);

/* "\\_SB_.PCI0", "^FOO", "_HID": segments padded with '_' to 4 chars. */
void aml_namestring(struct aml *a, const char *path);
/* Smallest encoding: Zero, One, Ones, Byte/Word/DWord/QWord prefix. */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* "PNP0A08" as the compressed EISA ID integer. */
uint32_t aml_eisaid_value(const char *id);
void aml_eisaid(struct aml *a, const char *id);
/* NameOp and the name; the caller emits the value object next. */
void aml_name(struct aml *a, const char *name);
void aml_buffer(struct aml *a, const void *data, size_t n);

/* Each *_open pairs with one aml_close(). */
void aml_scope_open(struct aml *a, const char *name);
void aml_device_open(struct aml *a, const char *name);
void aml_package_open(struct aml *a, uint8_t nr_elements);
void aml_close(struct aml *a);

/* PkgLength encoding of a body of body_len bytes; returns bytes used. */
unsigned int aml_pkglength(size_t body_len, uint8_t out[4]);

/* Resource template descriptors, appended to a (a plain byte buffer). */
void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len,
			    bool writable);
/* Extended interrupt, consumer, edge or level, active high or low. */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool edge, bool active_low);
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len);
/* Word address space (producer, fixed min/max): bus numbers or I/O. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
/* DWord memory (producer, fixed, non-cacheable, read-write). */
void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max);
/* End tag (checksum 0: "treat as valid"). */
void aml_res_end(struct aml *a);

#endif
