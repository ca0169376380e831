//! A TFLite graph, executed with candle.
//!
//! The converter (`tools/convert_mediapipe.py`) keeps each operator as TFLite defines it, with
//! the options read from the flatbuffer; here every operator becomes a candle call. TFLite
//! tensors are NHWC; 4-D activations are kept NCHW here (what candle's convolutions take) and
//! turned back to NHWC wherever the layout is observable: reshapes, concatenations along an
//! axis, and the graph's outputs.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use serde::Deserialize;

/// Why a graph could not be loaded or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// The graph description is not valid JSON of the expected shape.
    #[error("invalid graph description: {0}")]
    Description(#[source] serde_json::Error),
    /// The weights file could not be read.
    #[error("invalid weights file: {0}")]
    Weights(#[source] candle_core::Error),
    /// The graph uses something this executor does not implement.
    #[error("{model}: operator {index} ({op}) is not supported: {why}")]
    Unsupported {
        /// The model.
        model: String,
        /// Operator position.
        index: usize,
        /// Operator name.
        op: String,
        /// What is missing.
        why: &'static str,
    },
    /// The graph refers to a tensor it does not describe, or a constant is missing.
    #[error("{model}: tensor {tensor} is missing or malformed")]
    BadTensor {
        /// The model.
        model: String,
        /// Tensor index.
        tensor: usize,
    },
    /// The input does not have the shape the graph takes.
    #[error("{model}: input has shape {found:?}, the graph takes {expected:?}")]
    InputShape {
        /// The model.
        model: String,
        /// Expected NHWC shape.
        expected: Vec<usize>,
        /// Given shape.
        found: Vec<usize>,
    },
    /// A tensor operation failed.
    #[error("{model}: computation failed: {source}")]
    Compute {
        /// The model.
        model: String,
        /// candle's error.
        #[source]
        source: candle_core::Error,
    },
}

type Result<T, E = GraphError> = std::result::Result<T, E>;

#[derive(Deserialize)]
struct GraphFile {
    model: String,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
    tensors: Vec<TensorInfo>,
    ops: Vec<OpInfo>,
}

#[derive(Deserialize)]
struct TensorInfo {
    shape: Vec<i64>,
    #[serde(default)]
    constant: bool,
}

#[derive(Deserialize)]
struct OpInfo {
    op: String,
    inputs: Vec<i64>,
    outputs: Vec<usize>,
    #[serde(default)]
    options: Options,
    /// The custom operator's name (`CUSTOM` only).
    #[serde(default)]
    custom: Option<String>,
    /// The custom operator's option bytes, as stored in the flatbuffer.
    #[serde(default)]
    custom_options: Vec<u8>,
}

#[derive(Deserialize, Default)]
struct Options {
    padding: Option<String>,
    stride: Option<[usize; 2]>,
    dilation: Option<[usize; 2]>,
    filter: Option<[usize; 2]>,
    activation: Option<String>,
    axis: Option<i64>,
    align_corners: Option<bool>,
    half_pixel_centers: Option<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Activation {
    None,
    Relu,
    Relu6,
}

/// Zero padding of a 4-D activation: [top, bottom, left, right].
type Pads = [usize; 4];

enum Operand {
    Value(usize),
    Constant(Tensor),
}

enum Layer {
    Conv {
        input: usize,
        weight: Tensor,
        bias: Option<Tensor>,
        pads: Pads,
        stride: usize,
        dilation: usize,
        groups: usize,
        activation: Activation,
    },
    Binary {
        a: Operand,
        b: Operand,
        mul: bool,
        activation: Activation,
    },
    Relu(usize),
    Prelu {
        input: usize,
        alpha: Tensor,
    },
    /// NHWC paddings [[before, after]; 4].
    Pad {
        input: usize,
        pads: [[usize; 2]; 4],
    },
    /// Max or average pooling without padding.
    Pool {
        input: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        max: bool,
    },
    /// Target shape in TFLite (NHWC) terms.
    Reshape {
        input: usize,
        shape: Vec<usize>,
    },
    /// Axis in TFLite terms.
    Concat {
        inputs: Vec<usize>,
        axis: usize,
    },
    /// `x · relu6(x + 3) / 6`.
    HardSwish(usize),
    /// The logistic sigmoid.
    Logistic(usize),
    /// Bilinear resize to (height, width), TFLite's half-pixel-centre convention.
    ResizeBilinear {
        input: usize,
        size: [usize; 2],
    },
    /// MediaPipe's `Convolution2DTransposeBias`: a transposed convolution plus bias, with the
    /// kernel no larger than the stride (no overlapping taps, no padding to trim).
    TransposeConv {
        input: usize,
        /// candle layout (in, out, kh, kw).
        weight: Tensor,
        bias: Tensor,
        stride: usize,
    },
}

struct Step {
    layer: Layer,
    output: usize,
}

/// A TFLite network ready to run.
pub struct TfliteGraph {
    model: String,
    input: usize,
    input_shape: Vec<usize>,
    outputs: Vec<usize>,
    steps: Vec<Step>,
    /// For each activation, whether it is 4-D (kept NCHW).
    four_d: Vec<bool>,
}

impl std::fmt::Debug for TfliteGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TfliteGraph")
            .field("model", &self.model)
            .field("steps", &self.steps.len())
            .finish_non_exhaustive()
    }
}

fn shape_of(info: &TensorInfo) -> Vec<usize> {
    info.shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}

/// TFLite's SAME padding for one spatial dimension: (before, after).
fn same_padding(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
) -> (usize, usize) {
    let effective = (kernel - 1) * dilation + 1;
    let total = ((output.saturating_sub(1)) * stride + effective).saturating_sub(input);
    (total / 2, total - total / 2)
}

impl TfliteGraph {
    /// Builds a graph from the converter's JSON description and safetensors weights.
    pub fn load(description: &str, weights: &[u8]) -> Result<Self> {
        let file: GraphFile = serde_json::from_str(description).map_err(GraphError::Description)?;
        let mut constants = candle_core::safetensors::load_buffer(weights, &Device::Cpu)
            .map_err(GraphError::Weights)?;
        let model = file.model.clone();
        let bad = |tensor: usize| GraphError::BadTensor {
            model: model.clone(),
            tensor,
        };
        let info = |i: usize| file.tensors.get(i).ok_or_else(|| bad(i));
        let constant = |constants: &mut HashMap<String, Tensor>, i: usize| -> Result<Tensor> {
            let t = constants.remove(&format!("t{i}")).ok_or_else(|| bad(i))?;
            t.to_dtype(DType::F32).map_err(|e| GraphError::Compute {
                model: model.clone(),
                source: e,
            })
        };
        let compute = |e: candle_core::Error| GraphError::Compute {
            model: model.clone(),
            source: e,
        };

        let &[input] = file.inputs.as_slice() else {
            return Err(GraphError::Unsupported {
                model,
                index: 0,
                op: "graph".into(),
                why: "only one input is supported",
            });
        };
        let input_shape = shape_of(info(input)?);
        let mut four_d = vec![false; file.tensors.len()];
        four_d[input] = input_shape.len() == 4;

        let mut steps = Vec::with_capacity(file.ops.len());
        for (index, op) in file.ops.iter().enumerate() {
            let unsupported = |why| GraphError::Unsupported {
                model: model.clone(),
                index,
                op: op.op.clone(),
                why,
            };
            let arg = |k: usize| -> Result<usize> {
                op.inputs
                    .get(k)
                    .and_then(|&i| usize::try_from(i).ok())
                    .ok_or_else(|| unsupported("missing input"))
            };
            let &[output] = op.outputs.as_slice() else {
                return Err(unsupported("exactly one output expected"));
            };
            let out_shape = shape_of(info(output)?);
            let activation = match op.options.activation.as_deref() {
                None | Some("NONE") => Activation::None,
                Some("RELU") => Activation::Relu,
                Some("RELU6") => Activation::Relu6,
                Some(_) => return Err(unsupported("fused activation")),
            };
            let layer = match op.op.as_str() {
                "CONV_2D" | "DEPTHWISE_CONV_2D" => {
                    let x = arg(0)?;
                    let w = arg(1)?;
                    let in_shape = shape_of(info(x)?);
                    let w_shape = shape_of(info(w)?);
                    let weight = constant(&mut constants, w)?;
                    let depthwise = op.op == "DEPTHWISE_CONV_2D";
                    // TFLite: conv OHWI, depthwise 1HW(C*M); candle: OIHW with groups.
                    let weight = if depthwise {
                        weight.permute((3, 0, 1, 2))
                    } else {
                        weight.permute((0, 3, 1, 2))
                    }
                    .and_then(|t| t.contiguous())
                    .map_err(compute)?;
                    let groups = if depthwise {
                        *in_shape.get(3).ok_or_else(|| bad(x))?
                    } else {
                        1
                    };
                    let bias = match op.inputs.get(2).and_then(|&i| usize::try_from(i).ok()) {
                        Some(b) => Some(
                            constant(&mut constants, b)?
                                .reshape((1, (), 1, 1))
                                .map_err(compute)?,
                        ),
                        None => None,
                    };
                    let [sh, sw] = op.options.stride.unwrap_or([1, 1]);
                    let [dh, dw] = op.options.dilation.unwrap_or([1, 1]);
                    if sh != sw || dh != dw {
                        return Err(unsupported("unequal strides or dilations"));
                    }
                    let (kh, kw) = (w_shape[1], w_shape[2]);
                    let pads = match op.options.padding.as_deref() {
                        Some("SAME") => {
                            let (t, b) = same_padding(in_shape[1], out_shape[1], kh, sh, dh);
                            let (l, r) = same_padding(in_shape[2], out_shape[2], kw, sw, dw);
                            [t, b, l, r]
                        }
                        _ => [0; 4],
                    };
                    four_d[output] = true;
                    Layer::Conv {
                        input: x,
                        weight,
                        bias,
                        pads,
                        stride: sh,
                        dilation: dh,
                        groups,
                        activation,
                    }
                }
                "ADD" | "MUL" => {
                    let operand =
                        |constants: &mut HashMap<String, Tensor>, i: usize| -> Result<Operand> {
                            if info(i)?.constant {
                                let t = constant(constants, i)?;
                                // A per-channel constant broadcasts over NCHW as [1, C, 1, 1].
                                let t = if t.rank() >= 1
                                    && out_shape.len() == 4
                                    && t.elem_count() == out_shape[3]
                                {
                                    t.reshape((1, (), 1, 1)).map_err(compute)?
                                } else if t.elem_count() == 1 {
                                    t.reshape(()).map_err(compute)?
                                } else {
                                    return Err(unsupported(
                                        "constant operand that is neither scalar nor per-channel",
                                    ));
                                };
                                Ok(Operand::Constant(t))
                            } else {
                                Ok(Operand::Value(i))
                            }
                        };
                    let a = operand(&mut constants, arg(0)?)?;
                    let b = operand(&mut constants, arg(1)?)?;
                    four_d[output] = out_shape.len() == 4;
                    Layer::Binary {
                        a,
                        b,
                        mul: op.op == "MUL",
                        activation,
                    }
                }
                "RELU" => {
                    four_d[output] = out_shape.len() == 4;
                    Layer::Relu(arg(0)?)
                }
                "PRELU" => {
                    let alpha = constant(&mut constants, arg(1)?)?;
                    let alpha = if out_shape.len() == 4 {
                        alpha.reshape((1, (), 1, 1)).map_err(compute)?
                    } else {
                        alpha
                    };
                    four_d[output] = out_shape.len() == 4;
                    Layer::Prelu {
                        input: arg(0)?,
                        alpha,
                    }
                }
                "PAD" => {
                    let p = constant(&mut constants, arg(1)?)?;
                    let p: Vec<f32> = p.flatten_all().and_then(|t| t.to_vec1()).map_err(compute)?;
                    if p.len() != 8 || out_shape.len() != 4 {
                        return Err(unsupported("only 4-D padding"));
                    }
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "small non-negative pad sizes"
                    )]
                    let q = |k: usize| p[k].max(0.0) as usize;
                    four_d[output] = true;
                    Layer::Pad {
                        input: arg(0)?,
                        pads: [[q(0), q(1)], [q(2), q(3)], [q(4), q(5)], [q(6), q(7)]],
                    }
                }
                "MAX_POOL_2D" => {
                    let x = arg(0)?;
                    let in_shape = shape_of(info(x)?);
                    let kernel = op
                        .options
                        .filter
                        .ok_or_else(|| unsupported("no filter size"))?;
                    let stride = op.options.stride.unwrap_or(kernel);
                    if op.options.padding.as_deref() == Some("SAME") {
                        let (t, b) =
                            same_padding(in_shape[1], out_shape[1], kernel[0], stride[0], 1);
                        let (l, r) =
                            same_padding(in_shape[2], out_shape[2], kernel[1], stride[1], 1);
                        if t + b + l + r != 0 {
                            return Err(unsupported("max pooling that needs padding"));
                        }
                    }
                    four_d[output] = true;
                    Layer::Pool {
                        input: x,
                        kernel,
                        stride,
                        max: true,
                    }
                }
                "RESHAPE" => {
                    four_d[output] = out_shape.len() == 4;
                    Layer::Reshape {
                        input: arg(0)?,
                        shape: out_shape.clone(),
                    }
                }
                "CONCATENATION" => {
                    let rank = out_shape.len();
                    let axis = op.options.axis.unwrap_or(0);
                    let axis = usize::try_from(if axis < 0 {
                        axis + i64::try_from(rank).unwrap_or(0)
                    } else {
                        axis
                    })
                    .map_err(|_| unsupported("axis out of range"))?;
                    let inputs = (0..op.inputs.len()).map(arg).collect::<Result<Vec<_>>>()?;
                    four_d[output] = rank == 4;
                    Layer::Concat { inputs, axis }
                }
                "HARD_SWISH" | "LOGISTIC" => {
                    four_d[output] = out_shape.len() == 4;
                    if op.op == "HARD_SWISH" {
                        Layer::HardSwish(arg(0)?)
                    } else {
                        Layer::Logistic(arg(0)?)
                    }
                }
                "AVERAGE_POOL_2D" => {
                    let kernel = op
                        .options
                        .filter
                        .ok_or_else(|| unsupported("no filter size"))?;
                    let stride = op.options.stride.unwrap_or(kernel);
                    if op.options.padding.as_deref() != Some("VALID") {
                        return Err(unsupported("average pooling with padding"));
                    }
                    four_d[output] = true;
                    Layer::Pool {
                        input: arg(0)?,
                        kernel,
                        stride,
                        max: false,
                    }
                }
                "RESIZE_BILINEAR" => {
                    if op.options.align_corners == Some(true)
                        || op.options.half_pixel_centers != Some(true)
                    {
                        return Err(unsupported("only half-pixel-centre resizing"));
                    }
                    if out_shape.len() != 4 {
                        return Err(unsupported("only 4-D resizing"));
                    }
                    four_d[output] = true;
                    Layer::ResizeBilinear {
                        input: arg(0)?,
                        size: [out_shape[1], out_shape[2]],
                    }
                }
                "CUSTOM" if op.custom.as_deref() == Some("Convolution2DTransposeBias") => {
                    // Options: TfLiteTransposeConvParams {padding, stride_width, stride_height}
                    // as three little-endian i32.
                    let word = |k: usize| {
                        op.custom_options
                            .get(4 * k..4 * k + 4)
                            .and_then(|b| b.try_into().ok())
                            .map(i32::from_le_bytes)
                    };
                    let (Some(_padding), Some(sw), Some(sh)) = (word(0), word(1), word(2)) else {
                        return Err(unsupported("transposed convolution without options"));
                    };
                    let w_shape = shape_of(info(arg(1)?)?);
                    if sw != sh || w_shape.len() != 4 {
                        return Err(unsupported("unequal strides"));
                    }
                    let stride = usize::try_from(sw).map_err(|_| unsupported("stride"))?;
                    if w_shape[1] > stride || w_shape[2] > stride {
                        return Err(unsupported("kernel larger than its stride"));
                    }
                    // TFLite OHWI → candle (in, out, kh, kw).
                    let weight = constant(&mut constants, arg(1)?)?
                        .permute((3, 0, 1, 2))
                        .and_then(|t| t.contiguous())
                        .map_err(compute)?;
                    let bias = constant(&mut constants, arg(2)?)?
                        .reshape((1, (), 1, 1))
                        .map_err(compute)?;
                    four_d[output] = true;
                    Layer::TransposeConv {
                        input: arg(0)?,
                        weight,
                        bias,
                        stride,
                    }
                }
                _ => return Err(unsupported("no implementation")),
            };
            steps.push(Step { layer, output });
        }
        Ok(Self {
            model,
            input,
            input_shape,
            outputs: file.outputs,
            steps,
            four_d,
        })
    }

    /// The NHWC shape the graph takes.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Runs the graph on one NHWC float tensor; returns the outputs in the graph's order, NHWC.
    pub fn run(&self, input: &Tensor) -> Result<Vec<Tensor>> {
        let compute = |e: candle_core::Error| GraphError::Compute {
            model: self.model.clone(),
            source: e,
        };
        if input.dims() != self.input_shape.as_slice() {
            return Err(GraphError::InputShape {
                model: self.model.clone(),
                expected: self.input_shape.clone(),
                found: input.dims().to_vec(),
            });
        }
        let mut values: HashMap<usize, Tensor> = HashMap::new();
        let first = if self.four_d[self.input] {
            input.permute((0, 3, 1, 2)).map_err(compute)?
        } else {
            input.clone()
        };
        values.insert(self.input, first);
        for step in &self.steps {
            let out = Self::step(&step.layer, &values).map_err(compute)?;
            values.insert(step.output, out);
        }
        self.outputs
            .iter()
            .map(|&i| {
                let t = values.get(&i).ok_or_else(|| GraphError::BadTensor {
                    model: self.model.clone(),
                    tensor: i,
                })?;
                if self.four_d[i] {
                    t.permute((0, 2, 3, 1)).map_err(compute)
                } else {
                    Ok(t.clone())
                }
            })
            .collect()
    }

    fn step(layer: &Layer, values: &HashMap<usize, Tensor>) -> candle_core::Result<Tensor> {
        let get = |i: usize| {
            values.get(&i).ok_or_else(|| {
                candle_core::Error::Msg(format!("tensor {i} used before it is computed"))
            })
        };
        match layer {
            Layer::Conv {
                input,
                weight,
                bias,
                pads,
                stride,
                dilation,
                groups,
                activation,
            } => {
                let mut x = get(*input)?.clone();
                let [t, b, l, r] = *pads;
                let symmetric = t == b && l == r && t == l;
                if !symmetric {
                    x = x.pad_with_zeros(2, t, b)?.pad_with_zeros(3, l, r)?;
                }
                let padding = if symmetric { t } else { 0 };
                let mut y = if *groups > 1 && weight.dim(1)? == 1 && weight.dim(0)? == *groups {
                    let x = if padding > 0 {
                        x.pad_with_zeros(2, padding, padding)?
                            .pad_with_zeros(3, padding, padding)?
                    } else {
                        x
                    };
                    depthwise(&x, weight, *stride, *dilation)?
                } else {
                    x.conv2d(weight, padding, *stride, *dilation, *groups)?
                };
                if let Some(bias) = bias {
                    y = y.broadcast_add(bias)?;
                }
                activate(y, *activation)
            }
            Layer::Binary {
                a,
                b,
                mul,
                activation,
            } => {
                let operand = |o: &Operand| -> candle_core::Result<Tensor> {
                    match o {
                        Operand::Value(i) => Ok(get(*i)?.clone()),
                        Operand::Constant(t) => Ok(t.clone()),
                    }
                };
                let (a, b) = (operand(a)?, operand(b)?);
                let y = if *mul {
                    a.broadcast_mul(&b)?
                } else {
                    a.broadcast_add(&b)?
                };
                activate(y, *activation)
            }
            Layer::Relu(input) => get(*input)?.relu(),
            Layer::Prelu { input, alpha } => {
                let x = get(*input)?;
                x.relu()?
                    .broadcast_add(&x.minimum(0f32)?.broadcast_mul(alpha)?)
            }
            Layer::Pad { input, pads } => {
                // NHWC paddings onto an NCHW tensor.
                let x = get(*input)?;
                x.pad_with_zeros(0, pads[0][0], pads[0][1])?
                    .pad_with_zeros(2, pads[1][0], pads[1][1])?
                    .pad_with_zeros(3, pads[2][0], pads[2][1])?
                    .pad_with_zeros(1, pads[3][0], pads[3][1])
            }
            Layer::Pool {
                input,
                kernel,
                stride,
                max,
            } => {
                let (k, st) = ((kernel[0], kernel[1]), (stride[0], stride[1]));
                if *max {
                    get(*input)?.max_pool2d_with_stride(k, st)
                } else {
                    get(*input)?.avg_pool2d_with_stride(k, st)
                }
            }
            Layer::Reshape { input, shape } => {
                let x = get(*input)?;
                let nhwc = if x.rank() == 4 {
                    x.permute((0, 2, 3, 1))?.contiguous()?
                } else {
                    x.contiguous()?
                };
                let y = nhwc.reshape(shape.as_slice())?;
                if shape.len() == 4 {
                    y.permute((0, 3, 1, 2))
                } else {
                    Ok(y)
                }
            }
            Layer::Concat { inputs, axis } => {
                let parts = inputs
                    .iter()
                    .map(|&i| get(i).cloned())
                    .collect::<candle_core::Result<Vec<_>>>()?;
                // NHWC axis → NCHW axis for 4-D tensors.
                let axis = if parts.first().is_some_and(|p| p.rank() == 4) {
                    [0, 2, 3, 1][*axis]
                } else {
                    *axis
                };
                Tensor::cat(&parts, axis)
            }
            Layer::HardSwish(input) => {
                let x = get(*input)?;
                x.broadcast_mul(&((x + 3.0)?.clamp(0f32, 6f32)? / 6.0)?)
            }
            Layer::Logistic(input) => (get(*input)?.neg()?.exp()? + 1.0)?.recip(),
            Layer::ResizeBilinear { input, size } => resize_bilinear(get(*input)?, *size),
            Layer::TransposeConv {
                input,
                weight,
                bias,
                stride,
            } => get(*input)?
                .conv_transpose2d(weight, 0, 0, *stride, 1)?
                .broadcast_add(bias),
        }
    }
}

/// Bilinear resize of an NCHW tensor with half-pixel centres (TFLite `RESIZE_BILINEAR` with
/// `half_pixel_centers`): output pixel y reads input row `(y + ½) · in/out − ½`, clamped.
fn resize_bilinear(x: &Tensor, [oh, ow]: [usize; 2]) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let data = x.flatten_all()?.to_vec1::<f32>()?;
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "small image sizes"
    )]
    let taps = |out: usize, inp: usize| -> Vec<(usize, usize, f32)> {
        let scale = inp as f32 / out as f32;
        (0..out)
            .map(|o| {
                let src = ((o as f32 + 0.5) * scale - 0.5).max(0.0);
                let i0 = (src.floor() as usize).min(inp - 1);
                let i1 = (i0 + 1).min(inp - 1);
                (i0, i1, src - i0 as f32)
            })
            .collect()
    };
    let (ty, tx) = (taps(oh, h), taps(ow, w));
    let mut out = vec![0f32; n * c * oh * ow];
    for (plane, dst) in data.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
        for (oy, &(y0, y1, fy)) in ty.iter().enumerate() {
            for (ox, &(x0, x1, fx)) in tx.iter().enumerate() {
                let top = plane[y0 * w + x0] * (1.0 - fx) + plane[y0 * w + x1] * fx;
                let bottom = plane[y1 * w + x0] * (1.0 - fx) + plane[y1 * w + x1] * fx;
                dst[oy * ow + ox] = top * (1.0 - fy) + bottom * fy;
            }
        }
    }
    Tensor::from_vec(out, (n, c, oh, ow), x.device())
}

/// Depthwise convolution (one filter per channel, no padding) of an NCHW batch-1 tensor.
///
/// candle runs grouped convolutions group by group, which for depthwise layers (groups =
/// channels) is ~50× slower than this direct loop; MediaPipe's networks are mostly depthwise.
fn depthwise(
    x: &Tensor,
    weight: &Tensor,
    stride: usize,
    dilation: usize,
) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let (_, _, kh, kw) = weight.dims4()?;
    if n != 1 {
        return Err(candle_core::Error::Msg(
            "depthwise: batch size must be 1".into(),
        ));
    }
    let span_h = (kh - 1) * dilation + 1;
    let span_w = (kw - 1) * dilation + 1;
    if h < span_h || w < span_w {
        return Err(candle_core::Error::Msg(
            "depthwise: kernel larger than input".into(),
        ));
    }
    let (oh, ow) = ((h - span_h) / stride + 1, (w - span_w) / stride + 1);
    let input = x.flatten_all()?.to_vec1::<f32>()?;
    let filters = weight.flatten_all()?.to_vec1::<f32>()?;
    let mut out = vec![0f32; c * oh * ow];
    for ((plane, filter), dst) in input
        .chunks_exact(h * w)
        .zip(filters.chunks_exact(kh * kw))
        .zip(out.chunks_exact_mut(oh * ow))
    {
        for ky in 0..kh {
            for kx in 0..kw {
                let k = filter[ky * kw + kx];
                for oy in 0..oh {
                    let row = &plane[(oy * stride + ky * dilation) * w + kx * dilation..];
                    let dst_row = &mut dst[oy * ow..(oy + 1) * ow];
                    if stride == 1 {
                        for (d, v) in dst_row.iter_mut().zip(&row[..ow]) {
                            *d += k * v;
                        }
                    } else {
                        for (d, v) in dst_row.iter_mut().zip(row.iter().step_by(stride)) {
                            *d += k * v;
                        }
                    }
                }
            }
        }
    }
    Tensor::from_vec(out, (1, c, oh, ow), x.device())
}

fn activate(y: Tensor, activation: Activation) -> candle_core::Result<Tensor> {
    match activation {
        Activation::None => Ok(y),
        Activation::Relu => y.relu(),
        Activation::Relu6 => y.clamp(0f32, 6f32),
    }
}
