/* t_persist: persistence commands. respd persists through the append-only
 * file only (see aof.c); BGREWRITEAOF compacts it in a forked child. */
#include <errno.h>

#include "aof.h"
#include "commands.h"

void cmd_bgrewriteaof(client *c)
{
    int r = aof_rewrite_start();
    if (r >= 0) {
        reply_simple(client_reply_buf(c), r == 0 ? "Background append only file rewriting started"
                                                 : "Background append only file rewriting scheduled");
        return;
    }
    if (errno == EBUSY)
        client_add_error(c, "ERR Background append only file rewriting already in progress");
    else
        client_add_error(c, "ERR Can't execute an AOF background rewriting. Please check the "
                            "server logs for more information.");
}
