using System.CommandLine;
using Newtonsoft.Json;

namespace KlingGenerated.Cli;

/// <summary><c>kling status</c> and <c>kling credits</c>: one query each.</summary>
internal static class QueryCommands
{
    public static Command Status(TextWriter output, TextWriter error)
    {
        var taskId = new Argument<string>("taskId") { Description = "The task id printed by `kling generate`." };
        var command = new Command("status", "Show a task's state and result.") { taskId };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, error, async () =>
        {
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            var record = (await endpoint.Client.GetTaskRecordAsync(parse.GetValue(taskId)!, cancellationToken)).Data!;
            Ledger.TaskCommands.RecordStatus(parse, endpoint, record); // the ledger follows the task
            if (parse.GetValue(GlobalOptions.Json))
            {
                await output.WriteLineAsync(JsonConvert.SerializeObject(record));
                return;
            }

            var detail = record.State switch
            {
                TaskState.Success => " " + string.Join(" ", record.GetResultUrls()),
                TaskState.Fail => $" (failCode {record.FailCode}: {record.FailMsg})",
                _ => string.Empty,
            };
            await output.WriteLineAsync($"{record.TaskId}: {record.RawState}{detail}");
        }));
        return command;
    }

    public static Command Credits(TextWriter output, TextWriter error)
    {
        var command = new Command("credits", "Show the account's remaining credits.");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, error, async () =>
        {
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            var credits = (await endpoint.Client.GetRemainingCreditsAsync(cancellationToken)).Data;
            await output.WriteLineAsync(parse.GetValue(GlobalOptions.Json) ? JsonConvert.SerializeObject(new { credits }) : $"{credits}");
        }));
        return command;
    }
}
