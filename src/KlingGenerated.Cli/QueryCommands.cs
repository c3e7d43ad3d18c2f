using System.CommandLine;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli;

/// <summary><c>kling status</c> and <c>kling credits</c>: one query each.</summary>
internal static class QueryCommands
{
    public static Command Status(TextWriter output, TextWriter error)
    {
        var taskIds = new Argument<string[]>("taskId") { Description = "The task ids printed by `kling generate` (one or more).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("status", "Show the state and result of one task or several (one line each; with --json an object, or an array for several).") { taskIds };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            var ids = parse.GetValue(taskIds)!;
            if (ids.Any(string.IsNullOrWhiteSpace))
            {
                throw new UsageException("a task id is empty; pass the id `kling generate` printed, such as task_kling_123.");
            }

            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            using (var ledger = Ledger.LedgerLocation.Open(parse))
            {
                foreach (var id in ids)
                {
                    context.TaskId = id;
                    Ledger.TaskCommands.EnsureSameEndpoint(ledger, endpoint, id);
                }
            }

            // Several ids: each is asked, in order; one that fails is reported in its place (its error line on stderr, its
            // error object in the --json array) and the others are still shown. The exit code is the first failure's.
            var records = new JArray();
            int? firstFailure = null;
            foreach (var id in ids)
            {
                context.TaskId = id;
                try
                {
                    records.Add(await StatusOfAsync(parse, endpoint, context, ids.Length == 1 ? output : null, cancellationToken));
                }
                catch (Exception exception) when (ids.Length > 1 && !cancellationToken.IsCancellationRequested)
                {
                    var failure = ExitCodes.Describe(exception, context);
                    await error.WriteLineAsync("error: " + failure.Message);
                    records.Add(JObject.Parse(failure.ToJson()));
                    firstFailure ??= failure.ExitCode;
                }
            }

            if (context.Json && ids.Length > 1)
            {
                await output.WriteLineAsync(records.ToString(Formatting.None));
            }

            if (firstFailure is { } exitCode)
            {
                throw new AlreadyReportedException(exitCode);
            }
        }));
        return command;
    }

    /// <summary>Asks for one task and prints it (text), or returns its JSON (printed at once when <paramref name="jsonOutput"/> is given).</summary>
    private static async Task<JObject> StatusOfAsync(ParseResult parse, Endpoint endpoint, CommandContext context, TextWriter? jsonOutput, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var record = (await endpoint.Client.GetTaskRecordAsync(context.TaskId!, cancellationToken)).Data
            ?? throw new CliServiceException($"the service answered without the task's record. Query it again later with `{TerminalText.KlingCommand("status", context.TaskId)}`.");
        KlingClient.EnsureRecordOf(context.TaskId!, record);
        Ledger.TaskCommands.RecordStatus(parse, endpoint, context.TaskId!, record); // the ledger follows the task

        // The built-in simulator serves its result URLs only while this command runs: say so, and what works after.
        var download = TerminalText.KlingCommand("download", context.TaskId);
        var urlsDieWithCommand = endpoint.IsSimulator && record.State == TaskState.Success;
        var json = Json(record);
        if (urlsDieWithCommand)
        {
            json["resultUrlsValid"] = "until this command exits (built-in simulator)";
            json["download"] = download;
        }

        if (context.Json)
        {
            if (jsonOutput is not null)
            {
                await jsonOutput.WriteLineAsync(json.ToString(Formatting.None));
            }

            return json;
        }

        var detail = record.State switch
        {
            TaskState.Success when urlsDieWithCommand => string.Empty,
            TaskState.Success => ResultText(record),
            TaskState.Fail => $" (failCode {TerminalText.Capped(record.FailCode, 100)}: {TerminalText.Capped(record.FailMsg)})",
            _ => string.Empty,
        };
        await output.WriteLineAsync(TerminalText.WithLongWordsCapped(TerminalText.Safe($"{record.TaskId}: {record.RawState}{detail}")));
        if (urlsDieWithCommand)
        {
            await output.WriteLineAsync("The built-in simulator's result URL stops working when this command exits; download the video with:");
            await output.WriteLineAsync("  " + download);
        }

        return json;
    }

    /// <summary>The result URLs of a task that succeeded; when the service's are unusable (file://, not a URL), why, and what it sent.</summary>
    private static string ResultText(TaskRecord record)
    {
        try
        {
            return " " + string.Join(" ", record.GetResultUrls());
        }
        catch (FormatException exception)
        {
            return $" (its result cannot be downloaded: {exception.Message.TrimEnd('.')}; resultJson: {Ledger.Text.Safe(record.ResultJson, 500)})";
        }
    }

    public static Command Credits(TextWriter output, TextWriter error)
    {
        var command = new Command("credits", "Show the account's remaining credits.");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            var credits = (await endpoint.Client.GetRemainingCreditsAsync(cancellationToken)).Data
                ?? throw new CliServiceException(
                    "the service answered the balance query with success but no balance (\"data\": null), so the credits are unknown. " +
                    "Try again later; if it persists, check the balance in the kie.ai console and report the answer.");
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
            try
            {
                json["resultUrls"] = new JArray(record.GetResultUrls().Select(u => u.ToString()));
            }
            catch (FormatException exception)
            {
                json["resultProblem"] = exception.Message; // resultJson above is what the service sent
            }
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
