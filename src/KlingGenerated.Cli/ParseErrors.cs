using System.CommandLine;
using System.CommandLine.Parsing;

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
        var unknownOptions = UnknownOptions(parse);
        if (unknownOptions.Count > 0)
        {
            // Only the option's name is quoted: after '=' may come a value, such as a key under a misspelled --api-key.
            var name = (unknownOptions.FirstOrDefault(t => Suggest(command, t.Value.Split('=', 2)[0]) is not null) ?? unknownOptions[0]).Value.Split('=', 2)[0];
            line = $"unknown option '{name}' for `{path}`" + (Suggest(command, name) is { } meant
                ? $"; did you mean '{meant}'?"
                : "." + (command.Arguments.Count > 0 ? $" A {command.Arguments[0].Name} that starts with '-' goes after `--`, such as `{path} -- \"-word\"`." : string.Empty));
        }
        else if (parse.UnmatchedTokens.Count > 0)
        {
            var word = parse.UnmatchedTokens.FirstOrDefault(t => Suggest(command, t) is not null) ?? parse.UnmatchedTokens[0];
            var kind = word.StartsWith('-') ? "unknown option" : command.Subcommands.Count > 0 && command is RootCommand ? "unknown command" : "unexpected word";
            var after = kind == "unexpected word" ? FollowedOption(parse, word) : null;
            line = after is not null
                ? $"unexpected word (the value after the unknown option '{after}') for `{path}`."
                : $"{kind} '{word}' for `{path}`" + (Suggest(command, word) is { } meant ? $"; did you mean '{meant}'?" : ".");
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

    /// <summary>
    /// Words before `--` that look like options but are none of the command's: System.CommandLine would take them as the
    /// prompt (or a task id, a batch file), so `kling generate --no-wiat` would pay for a task whose prompt is "--no-wiat".
    /// </summary>
    internal static IReadOnlyList<Token> UnknownOptions(ParseResult parse)
    {
        var optionValues = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            foreach (var option in result.Children.OfType<OptionResult>())
            {
                optionValues.UnionWith(option.Tokens);
            }
        }

        return parse.Tokens
            .TakeWhile(t => t.Type != TokenType.DoubleDash)
            .Where(t => t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value.StartsWith('-') && !optionValues.Contains(t))
            .ToList();
    }

    /// <summary>The option-looking word just before <paramref name="word"/>, if any: then the word is its value and may be a secret.</summary>
    private static string? FollowedOption(ParseResult parse, string word)
    {
        var tokens = parse.Tokens;
        for (var i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value == word && tokens[i - 1].Type == TokenType.Argument && tokens[i - 1].Value.Length > 1 && tokens[i - 1].Value.StartsWith('-'))
            {
                return tokens[i - 1].Value.Split('=', 2)[0];
            }
        }

        return null;
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
