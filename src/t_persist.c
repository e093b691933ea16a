/* t_persist: persistence commands. respd persists through the append-only
 * file only (see aof.c); BGREWRITEAOF compacts it in a forked child. */
#include <errno.h>

#include "aof.h"
#include "commands.h"

void cmd_bgrewriteaof(client *c)
{
    if (c->flags & CLIENT_IN_EXEC) {
        aof_info ai;
        aof_get_info(&ai);
        if (!ai.rewrite_in_progress) {
            aof_rewrite_schedule();
            reply_simple(client_reply_buf(c), "Background append only file rewriting scheduled");
            return;
        }
    }
    if (aof_rewrite_start() == 0) {
        reply_simple(client_reply_buf(c), "Background append only file rewriting started");
        return;
    }
    if (errno == EBUSY)
        client_add_error(c, "ERR Background append only file rewriting already in progress");
    else
        client_add_error(c, "ERR Can't execute an AOF background rewriting. Please check the "
                            "server logs for more information.");
}
