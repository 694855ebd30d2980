#define G_LOG_DOMAIN "aet-error"

#include "aet-error.h"

G_DEFINE_QUARK (aet-error-quark, aet_error)
