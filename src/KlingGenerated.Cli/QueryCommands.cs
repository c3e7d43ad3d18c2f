using System.CommandLine;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli;

/// <summary><c>kling status</c> and <c>kling credits</c>: one query each.</summary>
internal static class QueryCommands
{
    public static Command Status(TextWriter output, TextWriter error)
    {
        var taskId = new Argument<string>("taskId") { Description = "The task id printed by `kling generate`." };
        var command = new Command("status", "Show a task's state and result.") { taskId };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            context.TaskId = parse.GetValue(taskId)!;
            if (string.IsNullOrWhiteSpace(context.TaskId))
            {
                throw new UsageException("the task id is empty; pass the id `kling generate` printed, such as task_kling_123.");
            }

            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            using (var ledger = Ledger.LedgerLocation.Open(parse))
            {
                Ledger.TaskCommands.EnsureSameEndpoint(ledger, endpoint, context.TaskId);
            }

            var record = (await endpoint.Client.GetTaskRecordAsync(context.TaskId, cancellationToken)).Data
                ?? throw new CliServiceException($"the service answered without the task's record. Query it again later with `kling status {TerminalText.Safe(context.TaskId)}`.");
            KlingClient.EnsureRecordOf(context.TaskId!, record);
            Ledger.TaskCommands.RecordStatus(parse, endpoint, context.TaskId!, record); // the ledger follows the task
            // The built-in simulator serves its result URLs only while this command runs: say so, and what works after.
            var download = $"kling download {TerminalText.Safe(context.TaskId!)}";
            var urlsDieWithCommand = endpoint.IsSimulator && record.State == TaskState.Success;
            if (context.Json)
            {
                var json = Json(record);
                if (urlsDieWithCommand)
                {
                    json["resultUrlsValid"] = "until this command exits (built-in simulator)";
                    json["download"] = download;
                }

                await output.WriteLineAsync(json.ToString(Formatting.None));
                return;
            }

            var detail = record.State switch
            {
                TaskState.Success when urlsDieWithCommand => string.Empty,
                TaskState.Success => " " + string.Join(" ", record.GetResultUrls()),
                TaskState.Fail => $" (failCode {record.FailCode}: {record.FailMsg})",
                _ => string.Empty,
            };
            await output.WriteLineAsync(TerminalText.Safe($"{record.TaskId}: {record.RawState}{detail}"));
            if (urlsDieWithCommand)
            {
                await output.WriteLineAsync("The built-in simulator's result URL stops working when this command exits; download the video with:");
                await output.WriteLineAsync("  " + download);
            }
        }));
        return command;
    }

    public static Command Credits(TextWriter output, TextWriter error)
    {
        var command = new Command("credits", "Show the account's remaining credits.");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            var credits = (await endpoint.Client.GetRemainingCreditsAsync(cancellationToken)).Data;
            await output.WriteLineAsync(context.Json ? JsonConvert.SerializeObject(new { credits }) : $"{credits}");
        }));
        return command;
    }

    /// <summary>The record as JSON, with <c>param</c> and <c>resultJson</c> parsed (as `generate --json` does) and <c>resultUrls</c> added.</summary>
    internal static JObject Json(TaskRecord record)
    {
        var json = JObject.FromObject(record, JsonSerializer.CreateDefault());
        foreach (var name in new[] { "param", "resultJson" })
        {
            if (json[name] is JValue { Type: JTokenType.String } text && TryParse((string)text!) is { } parsed)
            {
                json[name] = parsed;
            }
        }

        if (record.State == TaskState.Success)
        {
            json["resultUrls"] = new JArray(record.GetResultUrls().Select(u => u.ToString()));
        }

        return json;
    }

    private static JToken? TryParse(string text)
    {
        try
        {
            return JToken.Parse(text);
        }
        catch (JsonException)
        {
            return null; // not JSON: kept as the text the service sent
        }
    }
}
