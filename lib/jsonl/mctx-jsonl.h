/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MCTX_JSONL_H
#define MCTX_JSONL_H
#endif
