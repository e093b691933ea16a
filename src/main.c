/* main: arguments, then the server. Usage mirrors redis-server:
 *   respd [/path/to/respd.conf] [--name value ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "server.h"

static void usage(void)
{
    fprintf(stderr,
            "Usage: respd [/path/to/respd.conf] [options]\n"
            "       respd - (read config from stdin)\n"
            "       respd -v or --version\n"
            "       respd -h or --help\n\n"
            "Examples:\n"
            "       respd (run the server with default config)\n"
            "       respd /etc/respd/respd.conf\n"
            "       respd --port 7777\n"
            "       respd --port 0 --appendonly yes   (any free port; it is logged)\n"
            "       respd /etc/myrespd.conf --loglevel verbose\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("respd v=%s (Redis %s compatible) bits=%d\n", RESPD_REAL_VERSION, RESPD_VERSION,
               (int)(sizeof(void *) * 8));
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage();
        return 0;
    }
    config_init();
    const char *path = NULL;
    int first = 1;
    if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
        path = argv[1];
        first = 2;
    }
    char err[1024];
    /* The absolute path first: a dir line in the file changes directory,
     * and CONFIG REWRITE must find the file again. */
    if (path && strcmp(path, "-") != 0)
        server.config_file = realpath(path, NULL);
    config_set_rename_hook(cmd_rename_command);
    if (config_load(path, argc - first, argv + first, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n%s\n", err);
        free(server.config_file);
        return 1;
    }
    server.executable = realpath("/proc/self/exe", NULL);
    if (server_start(err, sizeof(err)) < 0) {
        fprintf(stderr, "respd: %s\n", err);
        return 1;
    }
    return server_run();
}
