using System.ComponentModel.DataAnnotations;

namespace KlingGenerated.Cli;

/// <summary>The CLI's exit codes, and the one line it prints for each failure.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int InvalidInput = 2;
    public const int ServiceError = 3;
    public const int TaskFailed = 4;
    public const int TimedOut = 5;

    /// <summary>Prints one line on stderr (the stack trace too with --verbose) and returns the exit code.</summary>
    public static int Report(Exception exception, bool verbose, TextWriter error)
    {
        var (code, line) = exception switch
        {
            ValidationException e => (InvalidInput, $"error: invalid input, nothing was sent. {Problems(e.Message)} Fix it and run again."),
            UsageException e => (InvalidInput, $"error: {e.Message}"),
            Ledger.LedgerException or Ledger.ResultExpiredException => (ServiceError, $"error: {exception.Message}"),
            KlingApiException { Kind: KlingErrorKind.TaskFailed } e => (TaskFailed, $"error: {e.Message}"),
            KlingApiException { InnerException: HttpRequestException inner } e when e.Message.StartsWith("Could not reach", StringComparison.Ordinal)
                => (ServiceError, $"error: could not reach the service ({inner.Message}). Check --base-url / KIE_BASE_URL and the network, then try again."),
            KlingApiException e => (ServiceError, $"error: {e.Message}"),
            TimeoutException e => (TimedOut, $"error: {e.Message}"),
            HttpRequestException e => (ServiceError, $"error: could not reach the service ({e.Message}). Check --base-url / KIE_BASE_URL and the network, then try again."),
            OperationCanceledException => (ServiceError, "error: cancelled. A task already created keeps running; check it with `kling status <taskId>`."),
            IOException e => (ServiceError, $"error: could not write the result ({e.Message}). Check --out and the free disk space."),
            _ => (ServiceError, $"error: {exception.Message} (run with --verbose for details and report it)."),
        };
        error.WriteLine(OneLine(line));
        if (verbose)
        {
            error.WriteLine(exception.ToString());
        }

        return code;
    }

    /// <summary>Joins a multi-line message into one line.</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Problems(string message)
    {
        var text = message.Replace("The request was not sent: ", string.Empty, StringComparison.Ordinal);
        var advice = text.IndexOf(" Fix the value", StringComparison.Ordinal);
        return advice < 0 ? text : text[..advice];
    }
}

/// <summary>Bad command-line input found by the CLI itself; nothing was sent.</summary>
internal sealed class UsageException(string message) : Exception(message);
