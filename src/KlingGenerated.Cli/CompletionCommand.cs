using System.CommandLine;
using System.CommandLine.Completions;

namespace KlingGenerated.Cli;

/// <summary>
/// <c>kling completion bash|zsh|pwsh</c> prints a script that makes the shell complete kling's commands, options and
/// values; the script asks the hidden <c>kling __complete WORDS…</c>, which answers from the command line's own parser
/// (System.CommandLine's completions), so the completions follow the commands.
/// </summary>
internal static class CompletionCommand
{
    /// <summary>The hidden command the scripts call.</summary>
    public const string CompleteName = "__complete";

    public static Command Create(TextWriter output)
    {
        var shell = new Argument<string>("shell") { Description = "The shell: bash, zsh or pwsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        var command = new Command("completion", "Print the shell completion script for bash, zsh or pwsh (e.g. source <(kling completion bash)).") { shell };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await output.WriteAsync(parse.GetValue(shell) switch
            {
                "zsh" => Zsh,
                "pwsh" => Pwsh,
                _ => Bash,
            });
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The hidden <c>__complete</c>: prints one completion a line for the last of its words (the word being typed).</summary>
    public static Command CreateComplete(TextWriter output, Func<RootCommand> root)
    {
        var words = new Argument<string[]>("words") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command(CompleteName, "Completions for the shell scripts.") { words };
        command.Hidden = true;
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The words as one line, the cursor at its end: an empty last word (the shell's cursor after a space) completes
            // what follows, such as an option's values; a word with spaces is quoted as the shell had it.
            var typed = parse.GetValue(words) ?? [];
            var line = string.Join(' ', typed.Select(w => w.Length > 0 && w.Any(char.IsWhiteSpace) ? "\"" + w.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : w));
            var completions = root().Parse(line).GetCompletions(line.Length);
            foreach (var item in completions.Select(c => c.Label).Where(l => !l.StartsWith(CompleteName, StringComparison.Ordinal) && !l.StartsWith('/') && l != "-?").Distinct(StringComparer.Ordinal))
            {
                await output.WriteLineAsync(item);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private const string Bash = """
        # kling completion for bash. Load it with: source <(kling completion bash)   (e.g. in ~/.bashrc)
        _kling_completions() {
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(kling __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _kling_completions kling

        """;

    private const string Zsh = """
        # kling completion for zsh. Load it with: source <(kling completion zsh)   (e.g. in ~/.zshrc, after compinit)
        _kling() {
            local -a completions
            completions=("${(@f)$(kling __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
            compadd -a completions
        }
        compdef _kling kling

        """;

    private const string Pwsh = """
        # kling completion for PowerShell. Load it with: kling completion pwsh | Out-String | Invoke-Expression   (e.g. in $PROFILE)
        Register-ArgumentCompleter -Native -CommandName kling -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
            if ($wordToComplete -eq '') { $words += '' }
            kling __complete -- @words 2>$null | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }

        """;
}
