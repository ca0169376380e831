//! The OpenH264 encoder through its C API, for what the `openh264` crate's safe wrapper does not
//! expose: a constant quantiser (`iDLayerQp` with rate control off) and silencing the library's
//! log before it initialises (it otherwise prints warnings to stderr during set-up).
//!
//! This is the only `unsafe` in provatar-media. Each block calls one function of the encoder's
//! vtable on a pointer that [`RawEncoder::new`] obtained from `WelsCreateSVCEncoder` and that
//! stays valid until `Drop` destroys it; the struct is not `Clone`, so nothing else frees it.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::ptr::{addr_of_mut, null_mut};

use openh264_sys2::{
    API, DEBLOCKING_IDC_0, ENCODER_OPTION_DATAFORMAT, ENCODER_OPTION_TRACE_LEVEL, ISVCEncoder,
    ISVCEncoderVtbl, RC_OFF_MODE, SEncParamExt, SFrameBSInfo, SM_SINGLE_SLICE, SSourcePicture,
    WELS_LOG_QUIET, videoFormatI420, videoFrameTypeIDR,
};
use provatar_types::Yuv420Frame;

/// What the encoder is asked to make.
pub(crate) struct RawConfig {
    pub(crate) width: i32,
    pub(crate) height: i32,
    pub(crate) fps: f32,
    pub(crate) qp: i32,
    pub(crate) intra_period: u32,
}

pub(crate) struct RawEncoder {
    api: openh264_sys2::DynamicAPI,
    encoder: *mut ISVCEncoder,
    info: SFrameBSInfo,
}

// SAFETY: the encoder is a self-contained C object with no thread affinity; `&mut self` on every
// call keeps access exclusive.
unsafe impl Send for RawEncoder {}

fn check(code: c_int, what: &'static str) -> Result<(), String> {
    if code == 0 {
        Ok(())
    } else {
        Err(format!("{what} returned {code}"))
    }
}

impl RawEncoder {
    pub(crate) fn new(config: &RawConfig) -> Result<Self, String> {
        let api = openh264_sys2::DynamicAPI::from_source();
        let mut encoder: *mut ISVCEncoder = null_mut();
        // SAFETY: WelsCreateSVCEncoder writes a new encoder pointer into `encoder`.
        check(
            unsafe { api.WelsCreateSVCEncoder(&raw mut encoder) },
            "WelsCreateSVCEncoder",
        )?;
        if encoder.is_null() {
            return Err("WelsCreateSVCEncoder gave no encoder".into());
        }
        // SAFETY: `SFrameBSInfo` is a plain C struct for which all-zero is the documented
        // initial state.
        let info = unsafe { std::mem::zeroed() };
        let me = Self { api, encoder, info };
        me.init(config)?;
        Ok(me)
    }

    fn vtbl(&self) -> &ISVCEncoderVtbl {
        // SAFETY: `encoder` points to a pointer to the vtable for as long as `self` lives.
        unsafe { &**self.encoder }
    }

    fn init(&self, config: &RawConfig) -> Result<(), String> {
        let vtbl = self.vtbl();
        let (Some(set_option), Some(get_defaults), Some(init)) =
            (vtbl.SetOption, vtbl.GetDefaultParams, vtbl.InitializeExt)
        else {
            return Err("OpenH264 vtable is incomplete".into());
        };
        let mut quiet: c_int = WELS_LOG_QUIET as c_int;
        // SAFETY: the trace-level option takes a pointer to an int, read during the call.
        check(
            unsafe {
                set_option(
                    self.encoder,
                    ENCODER_OPTION_TRACE_LEVEL,
                    addr_of_mut!(quiet).cast::<c_void>(),
                )
            },
            "SetOption(trace)",
        )?;
        // SAFETY: all-zero is a valid starting point; GetDefaultParams fills every field.
        let mut p: SEncParamExt = unsafe { std::mem::zeroed() };
        // SAFETY: `p` is a valid, writable SEncParamExt.
        check(
            unsafe { get_defaults(self.encoder, &raw mut p) },
            "GetDefaultParams",
        )?;
        p.iUsageType = openh264_sys2::CAMERA_VIDEO_REAL_TIME;
        p.iPicWidth = config.width;
        p.iPicHeight = config.height;
        p.iRCMode = RC_OFF_MODE;
        p.fMaxFrameRate = config.fps;
        p.bEnableFrameSkip = false;
        p.uiIntraPeriod = config.intra_period;
        // One SPS/PPS for the whole stream, so the sample entry's `avcC` covers every IDR.
        p.eSpsPpsIdStrategy = openh264_sys2::CONSTANT_ID;
        p.iSpatialLayerNum = 1;
        p.iTemporalLayerNum = 1;
        p.iMultipleThreadIdc = 1;
        p.iLoopFilterDisableIdc = DEBLOCKING_IDC_0 as c_int;
        p.iComplexityMode = openh264_sys2::MEDIUM_COMPLEXITY;
        p.bEnableSceneChangeDetect = false;
        p.bEnableBackgroundDetection = true;
        p.bEnableAdaptiveQuant = true;
        // CABAC, Main profile's arithmetic entropy coder: about a tenth smaller than CAVLC at the
        // same quantiser.
        p.iEntropyCodingModeFlag = 1;
        p.iMinQp = (config.qp - 4).max(0);
        p.iMaxQp = (config.qp + 4).min(51);
        let layer = &mut p.sSpatialLayers[0];
        layer.iVideoWidth = config.width;
        layer.iVideoHeight = config.height;
        layer.fFrameRate = config.fps;
        layer.iDLayerQp = config.qp;
        layer.uiProfileIdc = openh264_sys2::PRO_MAIN;
        layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
        layer.sSliceArgument.uiSliceNum = 1;
        layer.bVideoSignalTypePresent = true;
        layer.uiVideoFormat = 5; // unspecified
        layer.bFullRange = false;
        layer.bColorDescriptionPresent = true;
        layer.uiColorPrimaries = 1;
        layer.uiTransferCharacteristics = 1;
        layer.uiColorMatrix = 1;
        // SAFETY: `p` is fully initialised and read during the call.
        check(unsafe { init(self.encoder, &raw const p) }, "InitializeExt")?;
        let mut format: c_int = videoFormatI420 as c_int;
        // SAFETY: as above, an int option.
        check(
            unsafe {
                set_option(
                    self.encoder,
                    ENCODER_OPTION_DATAFORMAT,
                    addr_of_mut!(format).cast::<c_void>(),
                )
            },
            "SetOption(format)",
        )?;
        Ok(())
    }

    /// Encodes one I420 picture; calls `nal` for each NAL unit (start code included) and
    /// returns whether the picture is an IDR.
    pub(crate) fn encode(
        &mut self,
        frame: &Yuv420Frame,
        timestamp_ms: i64,
        mut nal: impl FnMut(&[u8]),
    ) -> Result<bool, String> {
        let (y, u, v) = (frame.y(), frame.u(), frame.v());
        let width = i32::try_from(frame.width()).map_err(|e| e.to_string())?;
        let height = i32::try_from(frame.height()).map_err(|e| e.to_string())?;
        let Some(encode) = self.vtbl().EncodeFrame else {
            return Err("OpenH264 vtable is incomplete".into());
        };
        let w = usize::try_from(width).map_err(|e| e.to_string())?;
        let h = usize::try_from(height).map_err(|e| e.to_string())?;
        if y.len() < w * h || u.len() < w * h / 4 || v.len() < w * h / 4 {
            return Err("picture planes are smaller than the picture".into());
        }
        let picture = SSourcePicture {
            iColorFormat: videoFormatI420 as c_int,
            iStride: [width, width / 2, width / 2, 0],
            // The encoder only reads the planes (its API takes non-const pointers regardless).
            pData: [
                y.as_ptr().cast_mut(),
                u.as_ptr().cast_mut(),
                v.as_ptr().cast_mut(),
                null_mut(),
            ],
            iPicWidth: width,
            iPicHeight: height,
            uiTimeStamp: timestamp_ms,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        // SAFETY: the planes were checked to hold the picture; `info` is owned and writable.
        check(
            unsafe { encode(self.encoder, &raw const picture, &raw mut self.info) },
            "EncodeFrame",
        )?;
        let layers = usize::try_from(self.info.iLayerNum)
            .unwrap_or(0)
            .min(self.info.sLayerInfo.len());
        for layer in &self.info.sLayerInfo[..layers] {
            let count = usize::try_from(layer.iNalCount).unwrap_or(0);
            if count == 0 || layer.pNalLengthInByte.is_null() || layer.pBsBuf.is_null() {
                continue;
            }
            // SAFETY: after a successful EncodeFrame, `pNalLengthInByte` holds `iNalCount`
            // lengths and `pBsBuf` their concatenated bytes, valid until the next call.
            let lengths = unsafe { std::slice::from_raw_parts(layer.pNalLengthInByte, count) };
            let total: usize = lengths
                .iter()
                .map(|&l| usize::try_from(l).unwrap_or(0))
                .sum();
            // SAFETY: as above; `total` is the sum of the lengths.
            let bytes = unsafe { std::slice::from_raw_parts(layer.pBsBuf, total) };
            let mut offset = 0;
            for &len in lengths {
                let len = usize::try_from(len).unwrap_or(0);
                nal(&bytes[offset..offset + len]);
                offset += len;
            }
        }
        Ok(self.info.eFrameType == videoFrameTypeIDR as c_int)
    }

    pub(crate) fn force_intra(&mut self) {
        if let Some(force) = self.vtbl().ForceIntraFrame {
            // SAFETY: a plain call on a live encoder.
            unsafe { force(self.encoder, true) };
        }
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        if let Some(uninit) = self.vtbl().Uninitialize {
            // SAFETY: the encoder was initialised in `new` and is torn down once, here.
            unsafe { uninit(self.encoder) };
        }
        // SAFETY: the pointer came from WelsCreateSVCEncoder and is not used after this.
        unsafe { self.api.WelsDestroySVCEncoder(self.encoder) };
    }
}
