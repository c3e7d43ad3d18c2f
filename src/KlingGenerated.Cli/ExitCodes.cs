using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace KlingGenerated.Cli;

/// <summary>The CLI's exit codes, and the one line it prints for each failure.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int InvalidInput = 2;
    public const int ServiceError = 3;
    public const int TaskFailed = 4;
    public const int TimedOut = 5;
    public const int Cancelled = 130; // the shell's convention for Ctrl+C; SIGTERM ends the same way

    /// <summary>Prints one line on stderr (the stack trace too with --verbose), with --json also a JSON object on stdout, and returns the exit code.</summary>
    public static int Report(Exception exception, CommandContext context)
    {
        if (exception is AlreadyReportedException reported)
        {
            return reported.ExitCode;
        }

        var failure = Describe(exception, context);
        context.Error.WriteLine("error: " + failure.Message);
        if (context.Verbose)
        {
            foreach (var line in exception.ToString().Split('\n'))
            {
                context.Error.WriteLine(TerminalText.Safe(SecretText.Redact(line.TrimEnd('\r')))); // a connection string in an exception's text
            }
        }

        if (context.Json)
        {
            context.Output.WriteLine(failure.ToJson());
        }

        return failure.ExitCode;
    }

    /// <summary>For commands without a <see cref="CommandContext"/> (`kling simulator`): one line on stderr, the exit code.</summary>
    public static int Report(Exception exception, bool verbose, TextWriter error)
    {
        var failure = Describe(exception, new CommandContext(null, TextWriter.Null, error, CancellationToken.None));
        error.WriteLine("error: " + failure.Message);
        if (verbose)
        {
            error.WriteLine(SecretText.Redact(exception.ToString()));
        }

        return failure.ExitCode;
    }

    /// <summary>The exit code, kind and one safe line for a failure.</summary>
    public static CliFailure Describe(Exception exception, CommandContext context)
    {
        var service = exception as KlingApiException ?? exception.InnerException as KlingApiException;
        var taskId = context.TaskId ?? service?.TaskId;
        var (code, kind, line) = exception switch
        {
            ValidationException e => (InvalidInput, "invalid-input", $"invalid input, nothing was sent. {Problems(e.Message)} Fix it and run again."),
            UsageException e => (InvalidInput, "invalid-input", e.Message),
            Ledger.LedgerException or Ledger.ResultExpiredException => (ServiceError, exception is Ledger.LedgerException ? "ledger-error" : "result-expired", exception.Message),
            KlingApiException { Kind: KlingErrorKind.TaskFailed } e => (TaskFailed, "task-failed",
                $"task {e.TaskId ?? taskId} failed (failCode {(string.IsNullOrEmpty(e.FailCode) ? "none" : e.FailCode)}): {(string.IsNullOrWhiteSpace(e.FailMessage) ? "the service gave no reason" : TerminalText.Capped(e.FailMessage.Trim()).TrimEnd('.'))}. The task is final; submit a new one, perhaps with a changed prompt."),
            KlingApiException { Kind: KlingErrorKind.NotFound } e when context.CommandName == "credits" => (ServiceError, "service-error",
                $"the service has no such endpoint ({e.ServerMessage ?? e.Message}). Check --base-url / KIE_BASE_URL: it is the service's root, such as https://api.kie.ai/."),
            KlingApiException { Kind: KlingErrorKind.NotFound } e when context.CommandName is "status" or "download" => (ServiceError, "not-found", // as wait says it
                $"task {taskId} was not found ({e.ServerMessage ?? e.Message}). Check the task id (a task just created can take a few seconds to appear) and that --base-url / KIE_BASE_URL is the service's root, such as https://api.kie.ai/."),
            // The library's outcome says nothing was sent; a connection never made is the network or the base URL.
            KlingApiException { Outcome.Rule: "not-sent", InnerException: HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError } inner }
                => (ServiceError, "service-error", $"could not reach the service ({inner.Message}); nothing was sent. Check --base-url / KIE_BASE_URL and the network, then try again."),
            KlingApiException { Outcome.Rule: "not-sent", InnerException: System.Net.Sockets.SocketException inner }
                => (ServiceError, "service-error", $"could not reach the service ({inner.Message}); nothing was sent. Check --base-url / KIE_BASE_URL and the network, then try again."),
            KlingApiException e => (ServiceError, "service-error", e.Message),
            CliTimeoutException e => (TimedOut, "timed-out", e.Message),
            TimeoutException e => (TimedOut, "timed-out", e.Message),
            HttpRequestException e => (ServiceError, "service-error", $"could not reach the service ({e.Message}). Check --base-url / KIE_BASE_URL and the network, then try again."),
            OperationCanceledException when context.CancellationToken.IsCancellationRequested => (Cancelled, "cancelled", CancelledLine(context)),
            OperationCanceledException e => (ServiceError, "service-error", $"the request was abandoned ({e.Message}). Check the network and try again."),
            CliServiceException e => (ServiceError, e.Kind, e.Message),
            IOException e => (ServiceError, "service-error", $"could not write the result ({e.Message}). Check --out and the free disk space."),
            _ => (ServiceError, "service-error", $"{exception.Message} (run with --verbose for details and report it)."),
        };
        // Read from the library's outcome (KlingApiException.Outcome), never re-decided: while submitting, whether a task
        // may exist (anything else that stops a submission, such as invalid input or a cancel before the body left, sent
        // nothing); once a task id came back the task exists, whatever failed after it (a query, a download).
        if (context.Stage == CommandStage.Submitted && taskId is not null && code == ServiceError && exception is not (CliServiceException or Ledger.LedgerException or Ledger.ResultExpiredException))
        {
            // The task exists: a failed query or network must not read as "retry" (a new generate pays again); say how to follow it.
            line = $"{line.TrimEnd()} Task {taskId} exists and keeps running: `{TerminalText.KlingCommand("wait", taskId)}` follows it and downloads it"
                + (context.CommandName == "generate" ? "; running generate again would pay for a new task." : ".");
        }

        bool? mayExist = context.Stage switch
        {
            CommandStage.Submitting => service?.Outcome.TaskMayExist ?? exception is CliServiceException,
            CommandStage.Submitted when taskId is not null && service?.Kind != KlingErrorKind.TaskFailed => true,
            _ => null,
        };
        return new CliFailure(code, kind, TerminalText.WithLongWordsCapped(TerminalText.Safe(TerminalText.WithoutUserInfo(OneLine(line)))), taskId, exception as KlingApiException, mayExist)
        {
            InvalidLines = (exception as UsageException)?.InvalidLines,
        };
    }

    /// <summary>Joins a multi-line message into one line.</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string CancelledLine(CommandContext context) => context.Stage switch
    {
        // A createTask is cancelled only until its body starts to leave (LedgeredCreate); after that its answer is awaited.
        CommandStage.Submitting => "cancelled before the createTask request left: nothing was created or charged.",
        CommandStage.Submitted when context.OnBuiltInSimulator => $"cancelled. Task {context.TaskId} is kept by the built-in simulator beside the ledger; `{TerminalText.KlingCommand("wait", context.TaskId)}` resumes it.",
        CommandStage.Submitted => $"cancelled. Task {context.TaskId} keeps running on the service; `{TerminalText.KlingCommand("wait", context.TaskId)}` resumes waiting and downloads it.",
        _ => "cancelled; nothing was submitted.",
    };

    private static string Problems(string message)
    {
        var text = message.Replace("The request was not sent: ", string.Empty, StringComparison.Ordinal);
        var advice = text.IndexOf(" Fix the value", StringComparison.Ordinal);
        return advice < 0 ? text : text[..advice];
    }
}

/// <summary>Ends a command whose failures were already printed one by one (`kling status` with several ids), with the first one's exit code.</summary>
internal sealed class AlreadyReportedException(int exitCode) : Exception("the failures were reported")
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A failure as the CLI reports it: the exit code, a stable kind for scripts and one safe line.</summary>
internal sealed record CliFailure(int ExitCode, string Kind, string Message, string? TaskId, KlingApiException? Service, bool? TaskMayExist = null)
{
    /// <summary>The refused lines of a batch file, each with its line number and problem; null for other failures.</summary>
    public IReadOnlyList<InvalidLine>? InvalidLines { get; init; }

    /// <summary>The JSON object --json prints on stdout for a failure.</summary>
    public string ToJson()
    {
        var json = Newtonsoft.Json.Linq.JObject.FromObject(new
        {
            error = new
            {
                exitCode = ExitCode,
                kind = Kind,
                message = Message,
                taskId = TaskId,
                serviceCode = Service is { Kind: not KlingErrorKind.TaskFailed, Code: > 0 } s ? s.Code : (int?)null,
                failCode = Service?.FailCode,
                failMsg = Service?.FailMessage,
                taskMayExist = TaskMayExist, // a failed createTask: true = may have been created and charged, false = surely nothing, null = not a create
            },
        });
        if (InvalidLines is not null)
        {
            // A batch refused for its lines carries each of them, as stderr lists them.
            json["error"]!["invalid"] = Newtonsoft.Json.Linq.JArray.FromObject(InvalidLines.Select(l => new { line = l.Line, problem = l.Problem }));
        }

        return json.ToString(Newtonsoft.Json.Formatting.None);
    }

    public override string ToString() => ExitCode.ToString(CultureInfo.InvariantCulture) + " " + Message;
}

/// <summary>Bad command-line input found by the CLI itself; nothing was sent.</summary>
internal sealed class UsageException(string message, IReadOnlyList<InvalidLine>? invalidLines = null) : Exception(message)
{
    /// <summary>The lines of an input file that were refused, when that is why the command stopped.</summary>
    public IReadOnlyList<InvalidLine>? InvalidLines { get; } = invalidLines;
}

/// <summary>One refused line of an input file: its number and problem, in the user's terms.</summary>
internal sealed record InvalidLine(int Line, string Problem);

/// <summary>The task did not finish within --timeout; says so in the CLI's terms.</summary>
internal sealed class CliTimeoutException(string message, Exception inner) : TimeoutException(message, inner);
