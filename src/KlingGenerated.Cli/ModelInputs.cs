using System.CommandLine;
using System.Text;
using KlingGenerated.OpenApi;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli;

/// <summary>
/// <c>kling generate</c>'s model and input options, read from the OpenAPI document: <c>--model</c> takes the document's
/// models, every input field of any model gets an option (<c>--tail-image-url</c>, <c>--sound</c>, ...), and <c>--image</c>
/// fills the chosen model's required image URL field. An option the chosen model does not have is refused.
/// </summary>
// No model id is written here: a model added to the document gets its options, and --model lists it.
internal sealed class ModelInputs
{
    private readonly List<(string Field, Option Option, Func<ParseResult, JToken?> Read)> _fields = [];

    private ModelInputs(Option<string> model, Option<string?> image, Option<string?> tailImage)
    {
        Model = model;
        Image = image;
        TailImage = tailImage;
    }

    /// <summary><c>--model</c>: one of the document's models; omitted, the model of <see cref="CreateTaskRequest"/>.</summary>
    public Option<string> Model { get; }

    /// <summary><c>--image</c>: the first frame, a local file (uploaded first) or a URL, for the model's required image field.</summary>
    public Option<string?> Image { get; }

    /// <summary><c>--tail-image</c>: the last frame, a local file (uploaded first) or a URL, for the model's optional image field.</summary>
    public Option<string?> TailImage { get; }

    /// <summary>The options this adds to the command (the ones it was given are declared by the command already).</summary>
    public IEnumerable<Option> NewOptions => [Model, Image, TailImage, .. _fields.Where(f => f.Option is not null && !_given.Contains(f.Option)).Select(f => f.Option)];

    private readonly HashSet<Option> _given = [];

    /// <summary>
    /// The options for every input field of the document's models. <paramref name="declared"/> are options the command
    /// already declares for some fields, each with how to read its value as JSON.
    /// </summary>
    public static ModelInputs Create(IReadOnlyDictionary<string, (Option Option, Func<ParseResult, JToken?> Read)> declared)
    {
        var models = KlingModels.All;
        var model = new Option<string>("--model")
        {
            Description = $"The model: {string.Join(", ", models.Select(m => m.Id))} (`kling models` lists each one's inputs).",
            HelpName = "model",
            DefaultValueFactory = _ => KlingModels.ModelOf(typeof(CreateTaskRequest)),
        };
        model.AcceptOnlyFromAmong([.. models.Select(m => m.Id)]);
        var image = new Option<string?>("--image") { Description = "The first frame: a local JPEG or PNG (uploaded first) or its URL, for an image-to-video model (its required image field).", HelpName = "FILE|URL" };
        var tailImage = new Option<string?>("--tail-image") { Description = "The last frame: a local JPEG or PNG (uploaded first) or its URL, for a model with an optional image field.", HelpName = "FILE|URL" };
        var inputs = new ModelInputs(model, image, tailImage);
        foreach (var (name, field) in models.SelectMany(m => m.Inputs).Where(f => f.Name != "prompt").GroupBy(f => f.Name).Select(g => (g.Key, g.First())))
        {
            if (declared.TryGetValue(name, out var known))
            {
                inputs._given.Add(known.Option);
                inputs._fields.Add((name, known.Option, known.Read));
                continue;
            }

            var optionName = "--" + name.Replace('_', '-');
            var description = field.Description ?? name;
            switch (field.Type)
            {
                case "boolean":
                {
                    var option = new Option<bool?>(optionName) { Description = description, Arity = ArgumentArity.ZeroOrOne };
                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { } value ? new JValue(value) : null));
                    break;
                }

                case "array":
                {
                    var option = new Option<string[]?>(optionName) { Description = description + " (repeat the option for each item)" };
                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { Length: > 0 } values ? new JArray(values) : null));
                    break;
                }

                case "number" or "integer":
                {
                    var option = NumberOption.Create(optionName, description, "a number");
                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { } value ? new JValue(value) : null));
                    break;
                }

                default:
                {
                    var option = new Option<string?>(optionName) { Description = description };
                    if (field.Values is { Count: > 0 } values)
                    {
                        option.AcceptOnlyFromAmong([.. values]);
                    }

                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { } value ? new JValue(value) : null));
                    break;
                }
            }
        }

        return inputs;
    }

    /// <summary>
    /// The local files given to <c>--image</c> and <c>--tail-image</c> (values that are not http(s) URLs), each checked
    /// before anything is sent: it exists, is at most the document's upload cap, and is JPEG or PNG by its first bytes.
    /// </summary>
    public IReadOnlyList<(string Value, string Path)> LocalImages(ParseResult parse)
    {
        var files = new List<(string, string)>();
        foreach (var option in new[] { Image, TailImage })
        {
            if (parse.GetValue(option) is not { } value || LocalImageFile.IsUrl(value))
            {
                continue;
            }

            var path = CliEnvironment.Of(parse).FullPath(value); // relative to the command's working directory
            if (LocalImageFile.Problem(path) is { } problem)
            {
                throw new UsageException($"{option.Name} '{TerminalText.Safe(value)}' {TerminalText.Safe(problem)}. Nothing was sent.");
            }

            files.Add((value, path));
        }

        return files;
    }

    /// <summary>
    /// The request for the chosen model, checked against the document before anything is sent: an option the model does
    /// not have, or a value its schema refuses, is a usage error naming the model and the field.
    /// </summary>
    public VideoTaskRequest Build(ParseResult parse, string prompt, Uri? callBack, IReadOnlyDictionary<string, string>? uploaded = null)
    {
        var model = KlingModels.Find(parse.GetValue(Model)) ?? throw new UsageException($"--model must be one of {string.Join(", ", KlingModels.All.Select(m => m.Id))}.");
        var input = new JObject { ["prompt"] = prompt };
        foreach (var (field, option, read) in _fields)
        {
            if (read(parse) is not { } value)
            {
                continue;
            }

            if (model.Input(field) is null)
            {
                throw new UsageException($"{option.Name}: the model {model.Id} has no {field} (its inputs: {string.Join(", ", model.Inputs.Select(f => f.Name))}). Nothing was sent.");
            }

            input[field] = value;
        }

        foreach (var (option, required) in new[] { (Image, true), (TailImage, false) })
        {
            if (parse.GetValue(option) is not { } image)
            {
                continue;
            }

            var (field, _, isList) = KlingUploadRules.ImageFieldsOf(model.Id).FirstOrDefault(f => f.Required == required);
            if (field is null)
            {
                throw new UsageException($"{option.Name}: the model {model.Id} takes no {(required ? "required" : "optional")} image (its inputs: {string.Join(", ", model.Inputs.Select(f => f.Name))}). Nothing was sent.");
            }

            var url = uploaded?.GetValueOrDefault(image) ?? image;
            input[field] = isList ? new JArray(url) : url;
        }

        var body = new JObject { ["model"] = model.Id };
        if (callBack is not null)
        {
            body["callBackUrl"] = callBack.OriginalString;
        }

        body["input"] = input;
        // A body the model's type can carry goes to the library, which checks it and the ledger records a refusal as not
        // sent; one it cannot carry (a required input missing) is refused here, with the document's own sentences.
        try
        {
            return body.ToObject<VideoTaskRequest>()!;
        }
        catch (JsonException)
        {
            var problems = KlingOpenApiContract.ValidateOperationBody("CreateTask", new MemoryStream(Encoding.UTF8.GetBytes(body.ToString(Formatting.None))));
            throw new System.ComponentModel.DataAnnotations.ValidationException(string.Join(" ", problems));
        }
    }
}
