/* SPDX-License-Identifier: BSD-2-Clause */
#include "mctx-jsonl.h"
