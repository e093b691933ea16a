/* t_script: the scripting commands of a server with no script engine.
 *
 * respd links nothing but libc, so it cannot run Lua. Rather than leave the
 * names unknown, EVAL, FCALL, SCRIPT LOAD and FUNCTION LOAD refuse with a
 * clear error, and the commands that only ask about scripts answer
 * truthfully: there are none.
 */
#include <ctype.h>

#include "commands.h"

#define ERR_NO_SCRIPTING                                                                           \
    "ERR respd has no script engine: EVAL, FCALL, SCRIPT LOAD and FUNCTION LOAD are not "         \
    "supported"

void cmd_eval(client *c)
{
    client_add_error(c, ERR_NO_SCRIPTING);
}

#define ERR_NOSCRIPT "NOSCRIPT No matching script. Please use EVAL."

void cmd_evalsha(client *c)
{
    /* No script was ever loaded, so no SHA can match: Redis's own answer.
     * Redis refuses a SHA of the wrong length at once, but checks numkeys
     * before looking a well-formed one up, and so does respd. */
    if (c->argvlen[1] != 40) {
        client_add_error(c, ERR_NOSCRIPT);
        return;
    }
    long long numkeys;
    if (cmd_get_ll_or_reply(c, 2, &numkeys, NULL) < 0)
        return;
    if (numkeys > c->argc - 3) {
        client_add_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    if (numkeys < 0) {
        client_add_error(c, "ERR Number of keys can't be negative");
        return;
    }
    client_add_error(c, ERR_NOSCRIPT);
}

void cmd_fcall(client *c)
{
    client_add_error(c, "ERR Function not found");
}

void cmd_script_load(client *c)
{
    client_add_error(c, ERR_NO_SCRIPTING);
}

void cmd_script_exists(client *c)
{
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        reply_int(rb, 0);
}

static int flush_mode_ok_or_reply(client *c, int first)
{
    if (c->argc == first ||
        (c->argc == first + 1 && (cmd_arg_is(c, first, "sync") || cmd_arg_is(c, first, "async"))))
        return 0;
    client_add_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return -1;
}

void cmd_script_flush(client *c)
{
    if (flush_mode_ok_or_reply(c, 2) == 0)
        reply_ok(client_reply_buf(c));
}

void cmd_function_load(client *c)
{
    client_add_error(c, ERR_NO_SCRIPTING);
}

/* Redis's reply to a subcommand given too many arguments: the subcommand
 * as typed, the command upper-cased. */
void cmd_function_list(client *c)
{
    /* Each option may appear once; a repeat is an unknown argument, as in
     * Redis 7.0's functionListCommand. */
    int with_code = 0, library = 0;
    for (int i = 2; i < c->argc; i++) {
        if (!with_code && cmd_arg_is(c, i, "withcode")) {
            with_code = 1;
            continue;
        }
        if (!library && cmd_arg_is(c, i, "libraryname")) {
            if (i >= c->argc - 1) {
                client_add_error(c, "ERR library name argument was not given");
                return;
            }
            library = 1;
            i++;
            continue;
        }
        client_add_errorf(c, "ERR Unknown argument %.*s", (int)c->argvlen[i], c->argv[i]);
        return;
    }
    reply_array(client_reply_buf(c), 0);
}

void cmd_function_flush(client *c)
{
    if (c->argc > 3) {
        cmd_reply_subcommand_syntax(c);
        return;
    }
    if (c->argc == 2 ||
        (c->argc == 3 && (cmd_arg_is(c, 2, "sync") || cmd_arg_is(c, 2, "async")))) {
        reply_ok(client_reply_buf(c));
        return;
    }
    client_add_error(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
}
