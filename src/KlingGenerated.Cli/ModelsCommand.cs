using System.CommandLine;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli;

/// <summary><c>kling models</c>: the models of the OpenAPI document and their inputs, read from the embedded document.</summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("models", "List the models `kling generate --model` takes and each one's inputs, from the OpenAPI document.");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            if (context.Json)
            {
                var models = new JArray(KlingModels.All.Select(model => new JObject
                {
                    ["model"] = model.Id,
                    ["requestSchema"] = model.RequestSchema,
                    ["inputSchema"] = model.InputSchema,
                    ["inputs"] = new JArray(model.Inputs.Select(field => new JObject
                    {
                        ["name"] = field.Name,
                        ["type"] = field.Type,
                        ["required"] = field.Required,
                        ["values"] = field.Values is null ? null : new JArray(field.Values),
                        ["format"] = field.Format,
                        ["itemType"] = field.ItemType,
                        ["description"] = field.Description,
                    })),
                }));
                await output.WriteLineAsync(models.ToString(Formatting.None));
                return;
            }

            foreach (var model in KlingModels.All)
            {
                await output.WriteLineAsync($"{model.Id}  (kling generate --model {model.Id})");
                foreach (var field in model.Inputs)
                {
                    var kind = field.Values is { Count: > 0 } values ? string.Join(" | ", values.Select(v => $"\"{v}\""))
                        : field.Type == "array" ? $"list of {(field.Format == "uri" ? "URLs" : field.ItemType)}"
                        : field.Format == "uri" ? "URL" : field.Type;
                    var option = field.Name == "prompt" ? "(the prompt argument)" : "--" + field.Name.Replace('_', '-');
                    await output.WriteLineAsync($"  {field.Name,-16} {(field.Required ? "required" : "optional"),-8}  {kind,-24} {option,-22} {FirstSentence(field.Description)}");
                }

                await output.WriteLineAsync();
            }
        }));
        return command;
    }

    private static string FirstSentence(string? text)
    {
        var end = text?.IndexOf(". ", StringComparison.Ordinal) ?? -1;
        return text is null ? string.Empty : end < 0 ? text : text[..(end + 1)];
    }
}
