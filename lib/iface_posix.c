/* SPDX-License-Identifier: BSD-2-Clause */
#include "mctx-private.h"
