/* main-cli.c — `aet`, the command-line front end: dispatch to a subcommand. */
#define G_LOG_DOMAIN "aet"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-config.h"

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "info", aet_cmd_info, "what a file holds: dims, voxel size, angles, atoms, project" },
  { "simulate", aet_cmd_simulate, "a nanoparticle, its volumes and a tilt series" },
  { "reconstruct", aet_cmd_reconstruct, "a volume from a tilt series (GENFIRE, SIRT, WBP)" },
  { "augment", aet_cmd_augment, "sharpen a reconstruction with the trained network" },
  { "trace", aet_cmd_trace, "atoms from a volume" },
  { "refine", aet_cmd_refine, "traced atoms moved to fit the measured projections" },
  { "analyze", aet_cmd_analyze, "structure and precision of traced atoms: report.json" },
  { "run", aet_cmd_run, "the whole pipeline into one project, before/after augmentation" },
  { "figure", aet_cmd_figure, "a figure for a paper (PNG, SVG, PDF) or the surface (STL, OBJ)" },
  { "train", aet_cmd_train, "train the augmentation network on simulated pairs" },
  { "version", aet_cmd_version, "the version of AET Studio and of its libraries" },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: aet COMMAND [OPTION…]\n\nAET Studio %s — atomic electron tomography.\n\n"
                "Commands:\n", AET_VERSION);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\n`aet COMMAND --help` describes each command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      print_usage (stderr);
      return AET_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return AET_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("aet %s\n", AET_VERSION);
      return AET_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "aet: error: %s: no such command (see `aet --help`)\n", argv[1]);
  return AET_EXIT_USAGE;
}
