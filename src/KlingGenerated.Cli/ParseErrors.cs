using System.CommandLine;

namespace KlingGenerated.Cli;

/// <summary>Reports a command line that did not parse: one sentence naming the bad word, with the word it probably meant.</summary>
/// <remarks>
/// System.CommandLine's own typo text is a block of lines (one "Did you mean one of the following?" list per unmatched
/// word) that does not read as one sentence; the suggestion is made here from the same candidates, one per error line.
/// </remarks>
internal static class ParseErrors
{
    public static async Task<int> ReportAsync(ParseResult parse, TextWriter output, TextWriter error)
    {
        var command = parse.CommandResult.Command;
        var path = CommandPath(parse);
        string line;
        if (parse.UnmatchedTokens.Count > 0)
        {
            var word = parse.UnmatchedTokens.FirstOrDefault(t => Suggest(command, t) is not null) ?? parse.UnmatchedTokens[0];
            var kind = word.StartsWith('-') ? "unknown option" : command.Subcommands.Count > 0 && command is RootCommand ? "unknown command" : "unexpected word";
            line = $"{kind} '{word}' for `{path}`" + (Suggest(command, word) is { } meant ? $"; did you mean '{meant}'?" : ".");
            if (kind == "unknown command")
            {
                line += $" Commands: {string.Join(", ", command.Subcommands.Select(c => c.Name))}.";
            }
        }
        else
        {
            line = parse.Errors[0].Message.TrimEnd('.') + ".";
            if (command is RootCommand root && line.StartsWith("Required command", StringComparison.Ordinal))
            {
                line = $"a command is required. Commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))}.";
            }
        }

        line = TerminalText.Safe(ExitCodes.OneLine($"{line} Run `{path} --help` for usage; nothing was sent."));
        await error.WriteLineAsync("error: " + line);
        if (parse.Tokens.Any(t => t.Value == "--json"))
        {
            await output.WriteLineAsync(new CliFailure(ExitCodes.InvalidInput, "invalid-input", line, TaskId: null, Service: null).ToJson());
        }

        return ExitCodes.InvalidInput;
    }

    /// <summary>The subcommand or option of <paramref name="command"/> one or two edits from <paramref name="word"/>, or null.</summary>
    internal static string? Suggest(Command command, string word)
    {
        var candidates = word.StartsWith('-')
            ? Options(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal))
            : command.Subcommands.Select(c => c.Name);
        var bare = word.TrimStart('-');
        return candidates
            .Select(c => (Name: c, Distance: Batch.BatchInput.Distance(c.TrimStart('-'), bare)))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(2, bare.Length / 3)))
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    private static IEnumerable<Option> Options(Command command) =>
        command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)));

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "kling" : result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
