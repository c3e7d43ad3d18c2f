using System.CommandLine;
using System.CommandLine.Invocation;

namespace KlingGenerated.Cli;

/// <summary>Reports a command line that did not parse: the error that names the bad word, with System.CommandLine's suggestion.</summary>
internal static class ParseErrors
{
    private const string Suggestion = "was not matched. Did you mean one of the following?";

    public static async Task<int> ReportAsync(ParseResult parse, TextWriter output, TextWriter error)
    {
        // "Required command was not provided" comes first for `kling genrate`; the unrecognized word is the real error.
        var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
        var line = first.Message.TrimEnd('.') + "." + await SuggestionAsync(parse);
        if (parse.CommandResult.Command is RootCommand root && first == parse.Errors[0] && parse.Errors.Count == 1 && first.Message.StartsWith("Required command", StringComparison.Ordinal))
        {
            line += " Commands: " + string.Join(", ", root.Subcommands.Select(c => c.Name)) + ".";
        }

        line = TerminalText.Safe(ExitCodes.OneLine($"{line} Run `kling --help` for usage; nothing was sent."));
        await error.WriteLineAsync("error: " + line);
        if (args(parse).Contains("--json"))
        {
            await output.WriteLineAsync(new CliFailure(ExitCodes.InvalidInput, "invalid-input", line, TaskId: null, Service: null).ToJson());
        }

        return ExitCodes.InvalidInput;

        static IEnumerable<string> args(ParseResult parse) => parse.Tokens.Select(t => t.Value);
    }

    /// <summary>System.CommandLine's own typo correction (" Did you mean 'generate'?"), or nothing.</summary>
    private static async Task<string> SuggestionAsync(ParseResult parse)
    {
        if (parse.Action is not ParseErrorAction action)
        {
            return string.Empty;
        }

        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        using var text = new StringWriter();
        await parse.InvokeAsync(new InvocationConfiguration { Output = text, Error = text, ProcessTerminationTimeout = null });
        var lines = text.ToString().Split('\n', StringSplitOptions.TrimEntries);
        var start = Array.FindIndex(lines, l => l.EndsWith(Suggestion, StringComparison.Ordinal));
        if (start < 0)
        {
            return string.Empty;
        }

        var words = lines.Skip(start + 1).TakeWhile(l => l.Length > 0).Select(w => $"'{w}'").ToList();
        return words.Count == 0 ? string.Empty : $" Did you mean {string.Join(" or ", words)}?";
    }
}
