/* aet-elements.h — chemical element symbols ↔ atomic numbers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AET_MAX_Z 118

/* The atomic number for a symbol ("Pt", case-insensitive), 0 if unknown. */
guint aet_element_from_symbol (const char *symbol);
/* The symbol for Z in 1…118 (static string), "X" otherwise. */
const char *aet_element_symbol (guint z);

G_END_DECLS
